-- view: ar_aging
-- scope: company_id
-- description: Open customer receivables (posted customer invoices and refunds with an amount still due), aged against today's date when queried. Amounts in company currency, signed: refunds reduce the receivable.
SELECT
    am.id::integer AS invoice_id,  -- invoice id
    am.name::text AS invoice_name,  -- invoice number
    am.move_type::text AS move_type,  -- out_invoice or out_refund
    am.company_id::integer AS company_id,  -- company
    ccur.name::text AS currency_code,  -- company currency (of the signed amounts)
    am.partner_id::integer AS partner_id,  -- customer partner id
    {{mask p.name | p.id | Partner | NOT coalesce(p.is_company, false)}}::text AS partner_name,  -- customer name; pseudonymised for individuals where masking is on
    am.invoice_user_id::integer AS salesperson_id,  -- salesperson user id
    am.invoice_date::date AS invoice_date,  -- invoice date
    coalesce(am.invoice_date_due, am.invoice_date)::date AS due_date,  -- due date
    (current_date - coalesce(am.invoice_date_due, am.invoice_date))::integer AS days_overdue,  -- days past the due date today; negative when not yet due
    CASE
        WHEN current_date <= coalesce(am.invoice_date_due, am.invoice_date) THEN 'not due'
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 30 THEN '1-30'
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 60 THEN '31-60'
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 90 THEN '61-90'
        ELSE '90+'
    END::text AS aging_bucket,  -- not due, 1-30, 31-60, 61-90, 90+
    CASE
        WHEN current_date <= coalesce(am.invoice_date_due, am.invoice_date) THEN 0
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 30 THEN 1
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 60 THEN 2
        WHEN current_date - coalesce(am.invoice_date_due, am.invoice_date) <= 90 THEN 3
        ELSE 4
    END::integer AS aging_bucket_order,  -- 0 to 4, to sort the buckets
    am.amount_total_signed::numeric AS amount_total_signed,  -- invoice total, company currency, signed
    am.amount_residual_signed::numeric AS amount_residual_signed  -- amount still due, company currency, signed
FROM public.account_move am
JOIN public.res_company c ON c.id = am.company_id
LEFT JOIN public.res_currency ccur ON ccur.id = c.currency_id
LEFT JOIN public.res_partner p ON p.id = am.partner_id
WHERE am.move_type IN ('out_invoice', 'out_refund')
  AND am.state = 'posted'
  AND am.payment_state IN ('not_paid', 'partial', 'in_payment')
  AND am.amount_residual <> 0

-- view: invoices
-- scope: company_id
-- description: Customer invoices and refunds, vendor bills and refunds (account_move with an invoice move_type). Journal entries are left out. Signed amounts are in company currency: positive for customer invoices, negative for customer refunds.
SELECT
    am.id::integer AS invoice_id,  -- Odoo journal entry id (account_move.id)
    am.name::text AS invoice_name,  -- number, e.g. INV/2026/00042; / while draft
    am.move_type::text AS move_type,  -- out_invoice, out_refund, in_invoice, in_refund
    am.move_type IN ('out_invoice', 'out_refund') AS is_customer,  -- a customer document (sales side)
    am.move_type IN ('out_refund', 'in_refund') AS is_refund,  -- a credit note
    am.state::text AS state,  -- draft, posted, cancel
    am.payment_state::text AS payment_state,  -- not_paid, in_payment, paid, partial, reversed
    coalesce(am.invoice_date, am.date)::date AS invoice_date,  -- invoice date (accounting date while draft)
    date_trunc('month', coalesce(am.invoice_date, am.date))::date AS invoice_month,  -- first day of the invoice month
    am.invoice_date_due::date AS due_date,  -- due date
    am.company_id::integer AS company_id,  -- company
    cur.name::text AS currency_code,  -- invoice currency
    am.partner_id::integer AS partner_id,  -- customer or vendor partner id
    {{mask p.name | p.id | Partner | NOT coalesce(p.is_company, false)}}::text AS partner_name,  -- partner name; pseudonymised for individuals where masking is on
    am.invoice_user_id::integer AS salesperson_id,  -- salesperson user id
    {{mask up.name | u.id | Salesperson}}::text AS salesperson_name,  -- salesperson name
    am.team_id::integer AS team_id,  -- sales team id
    am.invoice_origin::text AS origin,  -- source document, e.g. the sale order reference
    am.amount_untaxed::numeric AS amount_untaxed,  -- total without taxes, invoice currency, unsigned
    am.amount_total::numeric AS amount_total,  -- total with taxes, invoice currency, unsigned
    am.amount_residual::numeric AS amount_residual,  -- amount still due, invoice currency, unsigned
    am.amount_untaxed_signed::numeric AS amount_untaxed_signed,  -- total without taxes, company currency, signed
    am.amount_total_signed::numeric AS amount_total_signed,  -- total with taxes, company currency, signed
    am.amount_residual_signed::numeric AS amount_residual_signed  -- amount still due, company currency, signed
FROM public.account_move am
LEFT JOIN public.res_currency cur ON cur.id = am.currency_id
LEFT JOIN public.res_partner p ON p.id = am.partner_id
LEFT JOIN public.res_users u ON u.id = am.invoice_user_id
LEFT JOIN public.res_partner up ON up.id = u.partner_id
WHERE am.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')

-- view: invoicing_monthly
-- kind: materialized
-- scope: company_id
-- unique: invoice_month, company_id, move_type, state, payment_state, salesperson_id
-- index: company_id, invoice_month
-- description: Invoices counted and summed per month, company, type, state, payment state and salesperson (a materialized view). Signed amounts in company currency.
SELECT
    invoice_month,  -- first day of the invoice month
    company_id,  -- company
    move_type,  -- out_invoice, out_refund, in_invoice, in_refund
    is_customer,  -- customer documents (sales side)
    state,  -- draft, posted, cancel
    payment_state,  -- not_paid, in_payment, paid, partial, reversed
    salesperson_id,  -- salesperson user id
    salesperson_name,  -- salesperson name
    count(*)::bigint AS invoice_count,  -- number of invoices
    sum(amount_untaxed_signed)::numeric AS amount_untaxed_signed,  -- total without taxes, signed
    sum(amount_total_signed)::numeric AS amount_total_signed,  -- total with taxes, signed
    sum(amount_residual_signed)::numeric AS amount_residual_signed  -- amount still due, signed
FROM {{internal}}.invoices
GROUP BY invoice_month, company_id, move_type, is_customer, state, payment_state,
    salesperson_id, salesperson_name

-- view: invoice_lines_monthly
-- kind: materialized
-- scope: company_id
-- unique: invoice_month, company_id, move_type, state, category_id
-- index: company_id, invoice_month
-- description: Invoice product lines summed per month, company, type, state and product category (a materialized view). Signed amounts in company currency.
SELECT
    invoice_month,  -- first day of the invoice month
    company_id,  -- company
    move_type,  -- out_invoice, out_refund, in_invoice, in_refund
    state,  -- draft, posted, cancel
    category_id,  -- product category id
    category_name,  -- product category name
    count(*)::bigint AS line_count,  -- number of invoice lines
    sum(quantity)::numeric AS quantity,  -- invoiced quantity
    sum(amount_untaxed_signed)::numeric AS amount_untaxed_signed  -- total without taxes, signed
FROM {{internal}}.invoice_lines
GROUP BY invoice_month, company_id, move_type, state, category_id, category_name

-- view: invoice_lines
-- scope: company_id
-- description: Product lines of invoices and refunds (account_move_line with display_type product); tax and payment-term lines are left out.
SELECT
    aml.id::integer AS line_id,  -- Odoo journal item id (account_move_line.id)
    am.id::integer AS invoice_id,  -- invoice id
    am.name::text AS invoice_name,  -- invoice number
    am.move_type::text AS move_type,  -- out_invoice, out_refund, in_invoice, in_refund
    am.state::text AS state,  -- draft, posted, cancel
    coalesce(am.invoice_date, am.date)::date AS invoice_date,  -- invoice date
    date_trunc('month', coalesce(am.invoice_date, am.date))::date AS invoice_month,  -- first day of the invoice month
    am.company_id::integer AS company_id,  -- company
    cur.name::text AS currency_code,  -- invoice currency
    am.partner_id::integer AS partner_id,  -- customer or vendor partner id
    {{mask p.name | p.id | Partner | NOT coalesce(p.is_company, false)}}::text AS partner_name,  -- partner name; pseudonymised for individuals where masking is on
    am.invoice_user_id::integer AS salesperson_id,  -- salesperson user id
    pp.id::integer AS product_id,  -- product variant id
    {{tr product_template.name | pt}}::text AS product_name,  -- product name
    pc.id::integer AS category_id,  -- product category id
    pc.name::text AS category_name,  -- product category name
    {{account_code aa | aml.company_id}}::text AS account_code,  -- account code in the line's company (Odoo 17 code / 18 code_store)
    {{tr account_account.name | aa}}::text AS account_name,  -- account name
    aml.quantity::numeric AS quantity,  -- quantity
    aml.price_unit::numeric AS price_unit,  -- unit price, invoice currency
    aml.discount::numeric AS discount,  -- discount in percent
    aml.price_subtotal::numeric AS amount_untaxed,  -- line total without taxes, invoice currency, unsigned
    aml.price_total::numeric AS amount_total,  -- line total with taxes, invoice currency, unsigned
    (-aml.balance)::numeric AS amount_untaxed_signed  -- line total without taxes, company currency: positive for sales, negative for refunds and bills
FROM public.account_move_line aml
JOIN public.account_move am ON am.id = aml.move_id
LEFT JOIN public.res_currency cur ON cur.id = am.currency_id
LEFT JOIN public.res_partner p ON p.id = am.partner_id
LEFT JOIN public.account_account aa ON aa.id = aml.account_id
LEFT JOIN public.product_product pp ON pp.id = aml.product_id
LEFT JOIN public.product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN public.product_category pc ON pc.id = pt.categ_id
WHERE aml.display_type = 'product'
  AND am.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')

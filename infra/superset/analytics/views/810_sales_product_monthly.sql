-- view: sales_product_monthly
-- kind: materialized
-- scope: company_id
-- unique: order_month, company_id, product_id, is_confirmed
-- index: company_id, order_month
-- description: Sales order lines summed per month, company and product (a materialized view), for top-product charts.
SELECT
    order_month,  -- first day of the order month
    company_id,  -- company
    currency_code,  -- company currency of the amounts
    product_id,  -- product variant id
    product_name,  -- product name
    category_id,  -- product category id
    category_name,  -- product category name
    is_confirmed,  -- confirmed sales (true) or quotations and cancelled orders (false)
    count(*)::bigint AS line_count,  -- number of order lines
    sum(quantity)::numeric AS quantity,  -- ordered quantity
    sum(amount_untaxed)::numeric AS amount_untaxed,  -- sales without taxes
    sum(amount_total)::numeric AS amount_total  -- sales with taxes
FROM {{internal}}.sale_order_lines
GROUP BY order_month, company_id, currency_code, product_id, product_name, category_id,
    category_name, is_confirmed

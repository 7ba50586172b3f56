-- view: sales_monthly
-- kind: materialized
-- scope: company_id
-- unique: order_month, company_id, category_id, salesperson_id, team_id, is_confirmed
-- index: company_id, order_month
-- description: Sales order lines summed per month, company, product category, salesperson and team (a materialized view; `supersetctl db refresh` brings it up to date).
SELECT
    order_month,  -- first day of the order month
    company_id,  -- company
    currency_code,  -- company currency of the amounts
    category_id,  -- product category id
    category_name,  -- product category name
    salesperson_id,  -- salesperson user id
    salesperson_name,  -- salesperson name
    team_id,  -- sales team id
    team_name,  -- sales team name
    is_confirmed,  -- confirmed sales (true) or quotations and cancelled orders (false)
    count(*)::bigint AS line_count,  -- number of order lines
    count(DISTINCT order_id)::bigint AS order_count,  -- distinct orders in this row (do not add across categories: one order can span several)
    sum(quantity)::numeric AS quantity,  -- ordered quantity
    sum(amount_untaxed)::numeric AS amount_untaxed,  -- sales without taxes
    sum(amount_total)::numeric AS amount_total  -- sales with taxes
FROM {{internal}}.sale_order_lines
GROUP BY order_month, company_id, currency_code, category_id, category_name, salesperson_id,
    salesperson_name, team_id, team_name, is_confirmed

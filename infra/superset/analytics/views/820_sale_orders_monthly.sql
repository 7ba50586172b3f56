-- view: sale_orders_monthly
-- kind: materialized
-- scope: company_id
-- unique: order_month, company_id, salesperson_id, team_id, state
-- index: company_id, order_month
-- description: Sales orders counted and summed per month, company, salesperson, team and state (a materialized view); order counts here add up.
SELECT
    order_month,  -- first day of the order month
    company_id,  -- company
    currency_code,  -- currency of the amounts
    salesperson_id,  -- salesperson user id
    salesperson_name,  -- salesperson name
    team_id,  -- sales team id
    team_name,  -- sales team name
    state,  -- draft, sent, sale, cancel
    is_confirmed,  -- the orders are confirmed sales
    count(*)::bigint AS order_count,  -- number of orders
    sum(amount_untaxed)::numeric AS amount_untaxed,  -- total without taxes
    sum(amount_total)::numeric AS amount_total  -- total with taxes
FROM {{internal}}.sale_orders
GROUP BY order_month, company_id, currency_code, salesperson_id, salesperson_name, team_id,
    team_name, state, is_confirmed

-- view: stock_moves_monthly
-- kind: materialized
-- scope: company_id
-- unique: move_month, company_id, category_id, direction, state
-- index: company_id, move_month
-- description: Stock moves summed per month, company, product category, direction and state (a materialized view).
SELECT
    move_month,  -- first day of the move month
    company_id,  -- company
    category_id,  -- product category id
    category_name,  -- product category name
    direction,  -- incoming, outgoing, internal, adjustment or other
    state,  -- draft, waiting, confirmed, assigned, done, cancel
    count(*)::bigint AS move_count,  -- number of moves
    sum(quantity)::numeric AS quantity,  -- quantity moved
    sum(value)::numeric AS value  -- quantity times unit cost
FROM {{internal}}.stock_moves
GROUP BY move_month, company_id, category_id, category_name, direction, state

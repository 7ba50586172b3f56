-- view: stock_moves
-- scope: company_id
-- description: Stock moves (stock_move) with product, category and locations; direction says whether goods came in, went out, moved internally or were adjusted.
SELECT
    sm.id::integer AS move_id,  -- Odoo stock move id
    sm.reference::text AS reference,  -- transfer reference, e.g. WH1/OUT/000042
    sm.origin::text AS origin,  -- source document, e.g. a sale order reference
    sm.company_id::integer AS company_id,  -- company
    sm.product_id::integer AS product_id,  -- product variant id
    {{tr product_template.name | pt}}::text AS product_name,  -- product name
    pc.id::integer AS category_id,  -- product category id
    pc.name::text AS category_name,  -- product category name
    sm.location_id::integer AS source_location_id,  -- source location id
    coalesce(src.complete_name, src.name)::text AS source_location,  -- source location name
    src.usage::text AS source_usage,  -- internal, customer, supplier, inventory, ...
    sm.location_dest_id::integer AS destination_location_id,  -- destination location id
    coalesce(dst.complete_name, dst.name)::text AS destination_location,  -- destination location name
    dst.usage::text AS destination_usage,  -- internal, customer, supplier, inventory, ...
    CASE
        WHEN src.usage = 'internal' AND dst.usage = 'internal' THEN 'internal'
        WHEN dst.usage = 'internal' AND src.usage = 'inventory' THEN 'adjustment'
        WHEN src.usage = 'internal' AND dst.usage = 'inventory' THEN 'adjustment'
        WHEN dst.usage = 'internal' THEN 'incoming'
        WHEN src.usage = 'internal' THEN 'outgoing'
        ELSE 'other'
    END::text AS direction,  -- incoming, outgoing, internal, adjustment or other
    sm.state::text AS state,  -- draft, waiting, confirmed, assigned, done, cancel
    sm.date::timestamp AS move_date,  -- date of the move (done date once done)
    date_trunc('month', sm.date)::date AS move_month,  -- first day of the move month
    sm.product_uom_qty::numeric AS quantity_demand,  -- quantity asked for
    {{stock_qty sm}}::numeric AS quantity,  -- quantity moved (Odoo 17+ quantity, 16 quantity_done)
    sm.price_unit::numeric AS unit_cost,  -- unit cost of the move, company currency
    ({{stock_qty sm}} * coalesce(sm.price_unit, 0))::numeric AS value,  -- quantity times unit cost
    sm.sale_line_id::integer AS sale_line_id  -- the sale order line it delivers, if any
FROM public.stock_move sm
LEFT JOIN public.product_product pp ON pp.id = sm.product_id
LEFT JOIN public.product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN public.product_category pc ON pc.id = pt.categ_id
LEFT JOIN public.stock_location src ON src.id = sm.location_id
LEFT JOIN public.stock_location dst ON dst.id = sm.location_dest_id

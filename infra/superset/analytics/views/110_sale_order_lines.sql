-- view: sale_order_lines
-- scope: company_id
-- description: Product lines of sales orders (sale_order_line joined to its order, product, category, customer and salesperson). Section and note lines (display_type set) are left out.
SELECT
    sol.id::integer AS line_id,  -- Odoo sale order line id
    so.id::integer AS order_id,  -- sale order id
    so.name::text AS order_name,  -- order reference
    so.date_order::timestamp AS order_date,  -- order date and time, UTC
    date_trunc('month', so.date_order)::date AS order_month,  -- first day of the order month
    so.state::text AS state,  -- state of the order: draft, sent, sale, cancel
    so.state IN ('sale', 'done') AS is_confirmed,  -- the order is a confirmed sale
    so.company_id::integer AS company_id,  -- company
    cur.name::text AS currency_code,  -- currency of the amounts
    so.partner_id::integer AS customer_id,  -- customer partner id
    {{mask cp.name | cp.id | Partner | NOT coalesce(cp.is_company, false)}}::text AS customer_name,  -- customer name; pseudonymised for individuals where masking is on
    cco.code::text AS customer_country_code,  -- customer country
    so.user_id::integer AS salesperson_id,  -- salesperson user id
    {{mask up.name | u.id | Salesperson}}::text AS salesperson_name,  -- salesperson name
    so.team_id::integer AS team_id,  -- sales team id
    {{tr crm_team.name | t}}::text AS team_name,  -- sales team name
    pp.id::integer AS product_id,  -- product variant id
    {{tr product_template.name | pt}}::text AS product_name,  -- product name
    {{product_type pt}}::text AS product_type,  -- storable, consumable, service or combo
    pc.id::integer AS category_id,  -- product category id
    pc.name::text AS category_name,  -- product category name
    coalesce(pc.complete_name, pc.name)::text AS category_path,  -- full product category path
    sol.product_uom_qty::numeric AS quantity,  -- ordered quantity
    sol.qty_delivered::numeric AS qty_delivered,  -- delivered quantity
    sol.qty_invoiced::numeric AS qty_invoiced,  -- invoiced quantity
    sol.price_unit::numeric AS price_unit,  -- unit price, order currency
    sol.discount::numeric AS discount,  -- discount in percent
    sol.price_subtotal::numeric AS amount_untaxed,  -- line total without taxes
    sol.price_tax::numeric AS amount_tax,  -- line taxes
    sol.price_total::numeric AS amount_total  -- line total with taxes
FROM public.sale_order_line sol
JOIN public.sale_order so ON so.id = sol.order_id
LEFT JOIN public.res_currency cur ON cur.id = so.currency_id
LEFT JOIN public.res_partner cp ON cp.id = so.partner_id
LEFT JOIN public.res_country cco ON cco.id = cp.country_id
LEFT JOIN public.res_users u ON u.id = so.user_id
LEFT JOIN public.res_partner up ON up.id = u.partner_id
LEFT JOIN public.crm_team t ON t.id = so.team_id
LEFT JOIN public.product_product pp ON pp.id = sol.product_id
LEFT JOIN public.product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN public.product_category pc ON pc.id = pt.categ_id
WHERE sol.display_type IS NULL

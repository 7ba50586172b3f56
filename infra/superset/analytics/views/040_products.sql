-- view: products
-- scope: company_id shared
-- description: Product variants (product_product + product_template) with names resolved from Odoo's jsonb translations.
SELECT
    pp.id::integer AS product_id,  -- Odoo product variant id (product_product.id)
    pt.id::integer AS product_template_id,  -- product template id
    {{tr product_template.name | pt}}::text AS product_name,  -- name in the configured language, falling back to en_US
    coalesce(pp.default_code, pt.default_code)::text AS default_code,  -- internal reference
    pc.id::integer AS category_id,  -- product category id
    pc.name::text AS category_name,  -- product category name
    coalesce(pc.complete_name, pc.name)::text AS category_path,  -- full category path
    {{product_type pt}}::text AS product_type,  -- storable, consumable, service or combo (Odoo 17 detailed_type / 18 type + is_storable)
    pt.list_price::numeric AS list_price,  -- sales price of the template
    pt.company_id::integer AS company_id,  -- owning company; NULL when shared by all companies
    (coalesce(pp.active, true) AND coalesce(pt.active, true)) AS active  -- neither variant nor template archived
FROM public.product_product pp
JOIN public.product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN public.product_category pc ON pc.id = pt.categ_id

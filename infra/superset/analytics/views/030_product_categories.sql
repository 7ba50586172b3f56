-- view: product_categories
-- scope: none
-- description: The product category tree (product_category); no company.
SELECT
    pc.id::integer AS category_id,  -- Odoo product category id
    pc.name::text AS category_name,  -- the category's own name
    coalesce(pc.complete_name, pc.name)::text AS category_path,  -- full path, e.g. All / Saleable / Desks
    pc.parent_id::integer AS parent_id,  -- parent category; NULL at the root
    split_part(coalesce(pc.complete_name, pc.name), ' / ', 2)::text AS top_category  -- second level of the path (first below the root); empty at the root
FROM public.product_category pc

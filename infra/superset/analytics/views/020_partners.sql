-- view: partners
-- scope: company_id shared
-- description: Customers, vendors and contacts (res_partner) without e-mail, phone, street, zip or tax id. Partners shared by all companies have company_id NULL and are visible to every scope.
SELECT
    p.id::integer AS partner_id,  -- Odoo partner id
    {{mask p.name | p.id | Partner | NOT coalesce(p.is_company, false)}}::text AS partner_name,  -- name; pseudonymised for individuals where masking is on
    coalesce(p.is_company, false) AS is_company,  -- true for organisations, false for people
    p.parent_id::integer AS parent_id,  -- the organisation a contact belongs to
    p.commercial_partner_id::integer AS commercial_partner_id,  -- the partner invoices are made out to
    p.company_id::integer AS company_id,  -- owning company; NULL when shared by all companies
    CASE WHEN {{masking}} AND NOT coalesce(p.is_company, false) THEN NULL ELSE p.city END::text AS city,  -- city; NULL for individuals where masking is on
    co.code::text AS country_code,  -- ISO country code
    {{tr res_country.name | co}}::text AS country_name,  -- country name in the configured language
    coalesce(p.customer_rank, 0) > 0 AS is_customer,  -- has been a customer
    coalesce(p.supplier_rank, 0) > 0 AS is_vendor,  -- has been a vendor
    coalesce(p.active, true) AS active,  -- not archived
    p.create_date::timestamp AS created_at  -- when the partner was created
FROM public.res_partner p
LEFT JOIN public.res_country co ON co.id = p.country_id

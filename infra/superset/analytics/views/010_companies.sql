-- view: companies
-- scope: company_id
-- description: One row per Odoo company (res_company) with its currency and country.
SELECT
    c.id::integer AS company_id,  -- Odoo company id (res_company.id)
    c.name::text AS company_name,  -- company name
    cur.name::text AS currency_code,  -- ISO code of the company currency, e.g. USD
    co.code::text AS country_code  -- ISO country code of the company address
FROM public.res_company c
JOIN public.res_currency cur ON cur.id = c.currency_id
JOIN public.res_partner p ON p.id = c.partner_id
LEFT JOIN public.res_country co ON co.id = p.country_id

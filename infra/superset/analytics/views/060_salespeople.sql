-- view: salespeople
-- scope: company_id
-- description: Odoo users (res_users) as salespeople: id, display name and main company only; no login, password or e-mail.
SELECT
    u.id::integer AS salesperson_id,  -- Odoo user id (res_users.id)
    {{mask p.name | u.id | Salesperson}}::text AS salesperson_name,  -- name; pseudonymised where masking is on
    u.company_id::integer AS company_id,  -- the user's main company
    coalesce(u.active, true) AS active  -- not archived
FROM public.res_users u
JOIN public.res_partner p ON p.id = u.partner_id
WHERE NOT coalesce(u.share, false)

-- view: sale_orders
-- scope: company_id
-- description: Sales orders and quotations (sale_order), one row per order.
SELECT
    so.id::integer AS order_id,  -- Odoo sale order id
    so.name::text AS order_name,  -- order reference, e.g. S000123
    so.date_order::timestamp AS order_date,  -- order (or quotation) date and time, UTC
    date_trunc('month', so.date_order)::date AS order_month,  -- first day of the order month
    so.state::text AS state,  -- draft, sent, sale, cancel (Odoo 17+; done on older versions)
    so.state IN ('sale', 'done') AS is_confirmed,  -- a confirmed sale, not a quotation or cancelled
    so.invoice_status::text AS invoice_status,  -- upselling, invoiced, to invoice, no
    so.company_id::integer AS company_id,  -- company
    cur.name::text AS currency_code,  -- currency of the amounts
    so.partner_id::integer AS customer_id,  -- customer partner id
    {{mask cp.name | cp.id | Partner | NOT coalesce(cp.is_company, false)}}::text AS customer_name,  -- customer name; pseudonymised for individuals where masking is on
    so.user_id::integer AS salesperson_id,  -- salesperson user id
    {{mask up.name | u.id | Salesperson}}::text AS salesperson_name,  -- salesperson name
    so.team_id::integer AS team_id,  -- sales team id
    {{tr crm_team.name | t}}::text AS team_name,  -- sales team name
    so.amount_untaxed::numeric AS amount_untaxed,  -- total without taxes, order currency
    so.amount_tax::numeric AS amount_tax,  -- taxes, order currency
    so.amount_total::numeric AS amount_total  -- total with taxes, order currency
FROM public.sale_order so
LEFT JOIN public.res_currency cur ON cur.id = so.currency_id
LEFT JOIN public.res_partner cp ON cp.id = so.partner_id
LEFT JOIN public.res_users u ON u.id = so.user_id
LEFT JOIN public.res_partner up ON up.id = u.partner_id
LEFT JOIN public.crm_team t ON t.id = so.team_id

-- view: crm_leads
-- scope: company_id
-- description: CRM leads and opportunities (crm_lead), including archived (lost) ones, without contact name, e-mail or phone.
SELECT
    l.id::integer AS lead_id,  -- Odoo lead id
    {{mask l.name | l.id | Lead}}::text AS lead_name,  -- lead title; pseudonymised where masking is on (titles often carry names)
    l.type::text AS lead_type,  -- lead or opportunity
    l.company_id::integer AS company_id,  -- company
    l.partner_id::integer AS partner_id,  -- customer partner id, if any
    l.user_id::integer AS salesperson_id,  -- salesperson user id
    {{mask up.name | u.id | Salesperson}}::text AS salesperson_name,  -- salesperson name
    l.team_id::integer AS team_id,  -- sales team id
    {{tr crm_team.name | t}}::text AS team_name,  -- sales team name
    l.stage_id::integer AS stage_id,  -- pipeline stage id
    {{tr crm_stage.name | s}}::text AS stage_name,  -- pipeline stage name
    s.sequence::integer AS stage_sequence,  -- stage order in the pipeline
    CASE
        WHEN coalesce(s.is_won, false) AND coalesce(l.active, true) THEN 'won'
        WHEN NOT coalesce(l.active, true) THEN 'lost'
        ELSE 'open'
    END::text AS status,  -- open, won or lost (lost = archived)
    coalesce(l.active, true) AS active,  -- not archived
    l.probability::numeric AS probability,  -- probability of winning, percent
    l.expected_revenue::numeric AS expected_revenue,  -- expected revenue, company currency
    l.prorated_revenue::numeric AS prorated_revenue,  -- expected revenue times probability
    l.create_date::timestamp AS created_at,  -- creation date and time
    date_trunc('month', l.create_date)::date AS created_month,  -- first day of the creation month
    l.date_deadline::date AS expected_closing,  -- expected closing date
    l.date_closed::timestamp AS closed_at,  -- when it was won or lost
    {{tr crm_lost_reason.name | lr}}::text AS lost_reason  -- why it was lost
FROM public.crm_lead l
LEFT JOIN public.crm_stage s ON s.id = l.stage_id
LEFT JOIN public.crm_team t ON t.id = l.team_id
LEFT JOIN public.res_users u ON u.id = l.user_id
LEFT JOIN public.res_partner up ON up.id = u.partner_id
LEFT JOIN public.crm_lost_reason lr ON lr.id = l.lost_reason_id

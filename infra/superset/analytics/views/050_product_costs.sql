-- view: product_costs
-- scope: company_id
-- description: Cost (standard_price) of each product per company: Odoo 17 keeps it in ir_property rows, Odoo 18 in a jsonb keyed by company id.
{{product_costs}}

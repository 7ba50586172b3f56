-- view: employees
-- scope: company_id
-- description: Employees (hr_employee) with department and job only: no private or work contact data, birthday, identification or gender.
SELECT
    e.id::integer AS employee_id,  -- Odoo employee id
    {{mask e.name | e.id | Employee}}::text AS employee_name,  -- name; pseudonymised where masking is on
    e.company_id::integer AS company_id,  -- company
    e.department_id::integer AS department_id,  -- department id
    {{tr hr_department.name | d}}::text AS department_name,  -- department name
    e.job_title::text AS job_title,  -- job title
    e.parent_id::integer AS manager_id,  -- the manager's employee id
    e.user_id::integer AS user_id,  -- the related user (salesperson id), if any
    coalesce(e.active, true) AS active  -- not archived
FROM public.hr_employee e
LEFT JOIN public.hr_department d ON d.id = e.department_id

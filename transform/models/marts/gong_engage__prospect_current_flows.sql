{#- One row per CRM prospect ID with an open flow instance: join it to CRM contacts and leads. -#}
select
    crm_prospect_id,
    count(distinct flow_id) as open_flow_count,
    array_agg(distinct flow_name order by flow_name) as open_flow_names
from {{ ref('gong_engage__flow_instances') }}
where is_open and crm_prospect_id is not null
group by crm_prospect_id

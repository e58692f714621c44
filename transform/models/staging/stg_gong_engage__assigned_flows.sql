{%- set relation = source('gong_engage', 'assigned_flows') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "flowInstanceId" as flow_instance_id,
    "flowId" as flow_id,
    "flowName" as flow_name,
    "crmProspectId" as crm_prospect_id,
    "flowInstanceOwnerEmail" as owner_email,
    "flowInstanceOwnerFullName" as owner_full_name,
    {{ gong_engage_timestamptz(types, 'flowInstanceCreateDate') }} as created_at,
    "flowInstanceStatus" as status,
    "workspaceId" as workspace_id,
    "exclusive" as is_exclusive,
    -- Singer's metadata, apart: when the tap read the row, and when a later full sync left it out.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

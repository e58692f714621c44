{%- set relation = source('gong_engage', 'assigned_flows') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    {{ gong_engage_column(types, 'flowInstanceId', 'text') }} as flow_instance_id,
    {{ gong_engage_column(types, 'flowId', 'text') }} as flow_id,
    {{ gong_engage_column(types, 'flowName', 'text') }} as flow_name,
    {{ gong_engage_column(types, 'crmProspectId', 'text') }} as crm_prospect_id,
    {{ gong_engage_column(types, 'flowInstanceOwnerEmail', 'text') }} as owner_email,
    {{ gong_engage_column(types, 'flowInstanceOwnerFullName', 'text') }} as owner_full_name,
    {{ gong_engage_timestamptz(types, 'flowInstanceCreateDate') }} as created_at,
    {{ gong_engage_column(types, 'flowInstanceStatus', 'text') }} as status,
    {{ gong_engage_column(types, 'workspaceId', 'text') }} as workspace_id,
    {{ gong_engage_column(types, 'exclusive', 'boolean') }} as is_exclusive,
    -- Singer's metadata, apart: when the tap read the row, and when a later full sync left it out.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_deleted_at(relation, types) }} as deleted_at
{{ gong_engage_from(relation, types, ['flowInstanceId']) }}

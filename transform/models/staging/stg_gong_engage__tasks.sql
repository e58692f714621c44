{%- set relation = source('gong_engage', 'tasks') -%}
{%- set types = gong_engage_column_types(relation) -%}
{%- set flow = gong_engage_column(types, 'flow', 'jsonb') -%}
{%- set contact = gong_engage_column(types, 'contact', 'jsonb') -%}
{%- set account = gong_engage_column(types, 'account', 'jsonb') -%}
select
    {{ gong_engage_column(types, 'id', 'bigint') }} as task_id,
    -- Text, as users.user_id is (Gong's IDs are numbers in /v2/tasks, strings in /v2/users).
    {{ gong_engage_column(types, 'userId', 'bigint') }}::text as user_id,
    {{ gong_engage_column(types, 'status', 'text') }} as status,
    {{ gong_engage_column(types, 'type', 'text') }} as task_type,
    {{ gong_engage_column(types, 'title', 'text') }} as title,
    {{ gong_engage_column(types, 'actions', 'text[]') }} as actions,
    {{ gong_engage_timestamptz(types, 'created') }} as created_at,
    {{ gong_engage_timestamptz(types, 'updated') }} as updated_at,
    {{ gong_engage_timestamptz(types, 'dueDate') }} as due_at,
    {{ flow }} ->> 'id' as flow_id,
    {{ flow }} ->> 'name' as flow_name,
    {{ flow }} -> 'step' ->> 'id' as flow_step_id,
    {{ flow }} -> 'step' ->> 'name' as flow_step_name,
    ({{ flow }} -> 'step' ->> 'stepNumber')::integer as flow_step_number,
    {{ contact }} ->> 'crmId' as crm_prospect_id,
    {{ contact }} ->> 'type' as prospect_type,
    {{ account }} ->> 'crmId' as crm_account_id,
    {{ account }} ->> 'name' as account_name,
    {{ gong_engage_column(types, 'opportunity', 'jsonb') }} ->> 'crmId' as crm_opportunity_id,
    {{ gong_engage_column(types, 'priority', 'jsonb') }} ->> 'name' as priority,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    -- Incremental: no sync leaves a task out, so only the loader's own mark counts.
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
{{ gong_engage_from(relation, types, ['id']) }}

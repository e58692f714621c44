{%- set relation = source('gong_engage', 'flow_steps') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    {{ gong_engage_column(types, 'flowId', 'text') }} as flow_id,
    {{ gong_engage_column(types, 'id', 'text') }} as step_id,
    {{ gong_engage_column(types, 'stepOrder', 'bigint') }} as step_order,
    {{ gong_engage_column(types, 'action', 'text') }} as action,
    {{ gong_engage_column(types, 'subject', 'text') }} as subject,
    {{ gong_engage_column(types, 'body', 'text') }} as body,
    {{ gong_engage_column(types, 'isReply', 'boolean') }} as is_reply,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_deleted_at(relation, types) }} as deleted_at
{{ gong_engage_from(relation, types, ['flowId', 'id']) }}

{%- set relation = source('gong_engage', 'flow_steps') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "flowId" as flow_id,
    "id" as step_id,
    "stepOrder" as step_order,
    "action" as action,
    "subject" as subject,
    "body" as body,
    "isReply" as is_reply,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

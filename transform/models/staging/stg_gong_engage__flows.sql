{%- set relation = source('gong_engage', 'flows') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "id" as flow_id,
    "name" as flow_name,
    "folderId" as folder_id,
    "folderName" as folder_name,
    "visibility" as visibility,
    {{ gong_engage_timestamptz(types, 'creationDate') }} as created_at,
    "exclusive" as is_exclusive,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

{%- set relation = source('gong_engage', 'flow_folders') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "id" as folder_id,
    "name" as folder_name,
    "folderId" as parent_folder_id,
    "folderName" as parent_folder_name,
    "visibility" as visibility,
    {{ gong_engage_timestamptz(types, 'creationDate') }} as created_at,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

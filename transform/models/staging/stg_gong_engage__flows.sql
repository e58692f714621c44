{%- set relation = source('gong_engage', 'flows') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    {{ gong_engage_column(types, 'id', 'text') }} as flow_id,
    {{ gong_engage_column(types, 'name', 'text') }} as flow_name,
    {{ gong_engage_column(types, 'folderId', 'text') }} as folder_id,
    {{ gong_engage_column(types, 'folderName', 'text') }} as folder_name,
    {{ gong_engage_column(types, 'visibility', 'text') }} as visibility,
    {{ gong_engage_timestamptz(types, 'creationDate') }} as created_at,
    {{ gong_engage_column(types, 'exclusive', 'boolean') }} as is_exclusive,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_deleted_at(relation, types) }} as deleted_at
{{ gong_engage_from(relation, types, ['id']) }}

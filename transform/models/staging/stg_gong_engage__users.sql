{%- set relation = source('gong_engage', 'users') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "id" as user_id,
    "emailAddress" as email_address,
    "emailAliases" as email_aliases,
    "trustedEmailAddress" as trusted_email_address,
    "firstName" as first_name,
    "lastName" as last_name,
    nullif(concat_ws(' ', "firstName", "lastName"), '') as full_name,
    "title" as title,
    "phoneNumber" as phone_number,
    "managerId" as manager_id,
    "active" as is_active,
    {{ gong_engage_timestamptz(types, 'created') }} as created_at,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

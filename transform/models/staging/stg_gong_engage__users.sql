{%- set relation = source('gong_engage', 'users') -%}
{%- set types = gong_engage_column_types(relation) -%}
{%- set first_name = gong_engage_column(types, 'firstName', 'text') -%}
{%- set last_name = gong_engage_column(types, 'lastName', 'text') -%}
select
    {{ gong_engage_column(types, 'id', 'text') }} as user_id,
    {{ gong_engage_column(types, 'emailAddress', 'text') }} as email_address,
    {{ gong_engage_column(types, 'emailAliases', 'text[]') }} as email_aliases,
    {{ gong_engage_column(types, 'trustedEmailAddress', 'text') }} as trusted_email_address,
    {{ first_name }} as first_name,
    {{ last_name }} as last_name,
    nullif(concat_ws(' ', {{ first_name }}, {{ last_name }}), '') as full_name,
    {{ gong_engage_column(types, 'title', 'text') }} as title,
    {{ gong_engage_column(types, 'phoneNumber', 'text') }} as phone_number,
    {{ gong_engage_column(types, 'managerId', 'text') }} as manager_id,
    {{ gong_engage_column(types, 'active', 'boolean') }} as is_active,
    {{ gong_engage_timestamptz(types, 'created') }} as created_at,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_deleted_at(relation, types) }} as deleted_at
{{ gong_engage_from(relation, types, ['id']) }}

{%- set relation = source('gong_engage', 'prospects') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    {{ gong_engage_column(types, 'crmProspectId', 'text') }} as crm_prospect_id,
    {{ gong_engage_column(types, 'source', 'text') }} as id_source,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_deleted_at(relation, types) }} as deleted_at
{{ gong_engage_from(relation, types, ['crmProspectId']) }}

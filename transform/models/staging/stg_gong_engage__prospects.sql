{%- set relation = source('gong_engage', 'prospects') -%}
{%- set types = gong_engage_column_types(relation) -%}
select
    "crmProspectId" as crm_prospect_id,
    "source" as id_source,
    -- Singer's metadata, apart.
    {{ gong_engage_timestamptz(types, '_sdc_extracted_at') }} as extracted_at,
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }} as deleted_at
from {{ relation }}

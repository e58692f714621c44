{#- Every flow instance ever seen, with its latest known row and when it was seen how.

    Incremental on purpose: the raw table keeps only the latest sighting of an instance (an
    upsert overwrites it, the overwrite loader may delete it), so when an instance was first
    seen and last seen open is kept here, merged run after run. The snapshot's versions are
    read too, so a --full-refresh rebuilds nearly the same (each status's first sighting). -#}
{{ config(
    materialized='incremental',
    unique_key='flow_instance_id',
    incremental_strategy='delete+insert',
) }}

with current_rows as (
    select * from {{ ref('stg_gong_engage__assigned_flows') }}
),

kept_versions as (
    select * from {{ ref('snp_gong_engage__assigned_flows') }}
),

sightings as (
    select flow_instance_id, status, extracted_at from current_rows
    union all
    select flow_instance_id, status, extracted_at from kept_versions
),

seen as (
    select
        flow_instance_id,
        min(extracted_at) as first_seen_at,
        max(extracted_at) filter (where not {{ gong_engage_is_finished('status') }})
            as last_seen_open_at,
        min(extracted_at) filter (where {{ gong_engage_is_finished('status') }})
            as first_seen_finished_at
    from sightings
    group by flow_instance_id
),

-- The raw row where there is one; else the snapshot's latest version (the row was deleted).
latest as (
    select
        flow_instance_id, flow_id, flow_name, crm_prospect_id, owner_email, owner_full_name,
        created_at, status, workspace_id, extracted_at
    from current_rows
    union all
    select
        flow_instance_id, flow_id, flow_name, crm_prospect_id, owner_email, owner_full_name,
        created_at, status, workspace_id, extracted_at
    from kept_versions
    where dbt_valid_to is null
        and flow_instance_id not in (select flow_instance_id from current_rows)
)

select
    latest.flow_instance_id,
    latest.flow_id,
    latest.flow_name,
    latest.crm_prospect_id,
    latest.owner_email,
    latest.owner_full_name,
    latest.created_at,
    latest.status,
    latest.workspace_id,
    latest.extracted_at as last_seen_at,
{%- if is_incremental() %}
    least(seen.first_seen_at, earlier.first_seen_at) as first_seen_at,
    greatest(seen.last_seen_open_at, earlier.last_seen_open_at) as last_seen_open_at,
    least(seen.first_seen_finished_at, earlier.first_seen_finished_at) as first_seen_finished_at
{%- else %}
    seen.first_seen_at,
    seen.last_seen_open_at,
    seen.first_seen_finished_at
{%- endif %}
from latest
inner join seen using (flow_instance_id)
{%- if is_incremental() %}
left join {{ this }} as earlier using (flow_instance_id)
{%- endif %}

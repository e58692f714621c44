{#- One row per flow instance ever seen, with its latest known status, for good. -#}
with instances as (
    select * from {{ ref('int_gong_engage__flow_instance_sightings') }}
),

-- Returned by the latest complete sync: not marked deleted by the overwrite loader.
listed as (
    select flow_instance_id
    from {{ ref('stg_gong_engage__assigned_flows') }}
    where deleted_at is null
),

flows as (
    select * from {{ ref('stg_gong_engage__flows') }}
),

folders as (
    select * from {{ ref('stg_gong_engage__flow_folders') }}
),

-- Gong names an instance's owner by email: a user's address or one of its aliases, any case.
user_emails as (
    select distinct on (email) email, user_id
    from (
        select lower(email_address) as email, user_id, 0 as preference, is_active
        from {{ ref('stg_gong_engage__users') }}
        union all
        select lower(alias), user_id, 1, is_active
        from {{ ref('stg_gong_engage__users') }}
        cross join lateral unnest(email_aliases) as alias
    ) as addresses
    where email is not null
    order by email, preference, is_active desc nulls last, user_id
),

classified as (
    select
        instances.*,
        {{ gong_engage_is_finished('instances.status') }} as is_finished,
        listed.flow_instance_id is not null as is_listed
    from instances
    left join listed using (flow_instance_id)
)

select
    classified.flow_instance_id,
    classified.flow_id,
    coalesce(flows.flow_name, classified.flow_name) as flow_name,
    coalesce(folders.folder_name, flows.folder_name) as folder_name,
    classified.crm_prospect_id,
    classified.owner_email,
    user_emails.user_id as owner_user_id,
    classified.created_at,
    classified.status,
    -- Open: an open status, and still returned by the latest sync. An instance that left the
    -- open list without an outcome (track_finished_flows off) is neither open nor finished.
    (not classified.is_finished and classified.is_listed) as is_open,
    case when classified.is_finished then classified.status end as finished_status,
    classified.first_seen_at,
    classified.last_seen_open_at,
    -- Up to the sync that first saw it finished, or else the last one that saw it open.
    extract(epoch from (
        case
            when classified.is_finished
                then coalesce(classified.first_seen_finished_at, classified.last_seen_at)
            else coalesce(classified.last_seen_open_at, classified.last_seen_at)
        end - classified.created_at
    )) / 86400 as days_in_flow
from classified
left join flows on flows.flow_id = classified.flow_id
left join folders on folders.folder_id = flows.folder_id
left join user_emails on user_emails.email = lower(classified.owner_email)

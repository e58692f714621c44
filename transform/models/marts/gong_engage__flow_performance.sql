{#- One row per flow: every flow of the flows table, and any flow an instance names. -#}
with flows as (
    select * from {{ ref('stg_gong_engage__flows') }}
),

folders as (
    select * from {{ ref('stg_gong_engage__flow_folders') }}
),

instances as (
    select * from {{ ref('gong_engage__flow_instances') }}
),

steps as (
    select flow_id, count(*) as steps_count
    from {{ ref('stg_gong_engage__flow_steps') }}
    where deleted_at is null
    group by flow_id
),

flow_ids as (
    select flow_id from flows
    union
    select flow_id from instances where flow_id is not null
),

per_flow as (
    select
        flow_id,
        max(flow_name) as instance_flow_name,
        max(folder_name) as instance_folder_name,
        count(distinct crm_prospect_id) as prospects_enrolled,
        count(*) filter (where is_open) as open_instances,
        count(*) filter (where is_open and status = 'Running') as running,
        count(*) filter (where is_open and status = 'Paused') as paused,
        count(*) filter (where is_open and status = 'Pending') as pending,
        count(*) filter (where finished_status = 'FinishedNoReply') as finished_no_reply,
        count(*) filter (where finished_status = 'FinishedResponse') as finished_response,
        count(*) filter (
            where finished_status not in ('FinishedNoReply', 'FinishedResponse')
        ) as finished_other,
        count(*) filter (where finished_status is not null) as finished,
        percentile_cont(0.5) within group (order by days_in_flow)
            filter (where finished_status is not null) as median_days_to_finish
    from instances
    group by flow_id
)

select
    flow_ids.flow_id,
    coalesce(flows.flow_name, per_flow.instance_flow_name) as flow_name,
    coalesce(folders.folder_name, flows.folder_name, per_flow.instance_folder_name) as folder_name,
    flows.visibility,
    coalesce(steps.steps_count, 0) as steps_count,
    coalesce(per_flow.prospects_enrolled, 0) as prospects_enrolled,
    coalesce(per_flow.open_instances, 0) as open_instances,
    coalesce(per_flow.running, 0) as running,
    coalesce(per_flow.paused, 0) as paused,
    coalesce(per_flow.pending, 0) as pending,
    coalesce(per_flow.finished_no_reply, 0) as finished_no_reply,
    coalesce(per_flow.finished_response, 0) as finished_response,
    coalesce(per_flow.finished_other, 0) as finished_other,
    per_flow.finished_response::numeric / nullif(per_flow.finished, 0) as reply_rate,
    per_flow.median_days_to_finish
from flow_ids
left join flows using (flow_id)
left join folders on folders.folder_id = flows.folder_id
left join steps using (flow_id)
left join per_flow using (flow_id)

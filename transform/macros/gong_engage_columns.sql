{#- Helpers for reading the tap's raw tables, whatever exactly target-postgres made of them:
    a stream that was not selected has no table, a field that was not selected no column, and
    the date-times may or may not have been converted to timestamptz. -#}

{% macro gong_engage_column_types(relation) %}
  {#- The relation's columns as {name: data_type}; empty while dbt only parses, and when the
      table does not exist. -#}
  {%- set types = {} -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- do types.update({column.name: column.data_type | lower}) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(types) }}
{% endmacro %}

{% macro gong_engage_column(types, column_name, data_type) %}
  {#- The raw column, or a null of its type where the table lacks it. -#}
  {%- if execute and column_name not in types -%}
    null::{{ data_type }}
  {%- else -%}
    {{ adapter.quote(column_name) }}
  {%- endif -%}
{% endmacro %}

{% macro gong_engage_timestamptz(types, column_name) %}
  {#- target-postgres 0.8.1 stores date-times as "timestamp without time zone", in UTC (meltano.yml
      pins its session to UTC); README's one-time ALTER makes them timestamptz. Both come out as
      timestamptz here, the same instant, whatever the session's time zone. -#}
  {%- set data_type = types.get(column_name) -%}
  {%- if execute and data_type is none -%}
    null::timestamptz
  {%- elif data_type == 'timestamp with time zone' -%}
    {{ adapter.quote(column_name) }}
  {%- else -%}
    ({{ adapter.quote(column_name) }} at time zone 'UTC')
  {%- endif -%}
{% endmacro %}

{% macro gong_engage_from(relation, types, key) %}
  {#- FROM the raw table; no rows at all where the stream has no table (not selected). The
      append loader's tables (source_table_suffix '_snapshots') hold a row per sync: each key's
      row from the latest sync that had it. -#}
  {%- if execute and not types -%}
    where false
  {%- elif var('source_table_suffix') -%}
    {%- set quoted = [] -%}
    {%- for name in key -%}{%- do quoted.append(adapter.quote(name)) -%}{%- endfor -%}
    from (
        select distinct on ({{ quoted | join(', ') }}) *
        from {{ relation }}
        order by {{ quoted | join(', ') }}, "_sdc_sync_started_at" desc, "_sdc_sequence" desc
    ) as latest_rows
  {%- else -%}
    from {{ relation }}
  {%- endif -%}
{% endmacro %}

{% macro gong_engage_deleted_at(relation, types) %}
  {#- When a later complete sync left the row out: the overwrite loader's _sdc_deleted_at. The
      append loader never marks rows: there, a row the latest sync did not write counts as
      left out at that sync. -#}
  {%- if var('source_table_suffix') and types -%}
    case
        when "_sdc_sync_started_at" < (select max("_sdc_sync_started_at") from {{ relation }})
            then to_timestamp((select max("_sdc_sync_started_at") from {{ relation }}) / 1000.0)
    end
  {%- else -%}
    {{ gong_engage_timestamptz(types, '_sdc_deleted_at') }}
  {%- endif -%}
{% endmacro %}

{% macro gong_engage_is_finished(status) %}
  {#- Gong's finished statuses all start with "Finished" (FinishedNoReply, FinishedResponse,
      Finished); Gong adds statuses without notice, so a new one counts by its name. -#}
  ({{ status }} like 'Finished%')
{% endmacro %}

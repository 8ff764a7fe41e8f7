{{ config(meta={'dagster': {'asset_key': ['marts', 'submission_changes']}}) }}
-- Singular test: every resubmission diff adds up. The new version's rows are its added, changed and
-- unchanged rows; the previous version's are its removed, changed and unchanged rows; a changed
-- row changed at least one column, and no column changed on more rows than changed; the version
-- compared with is the one before.
with compared as (
    select
        changes.*,
        submissions.row_count as version_rows,
        previous.row_count as previous_rows,
        (
            select coalesce(sum(cast(pair.value as bigint)), 0)
            from json_each(cast(changes.changed_by_column as json)) as pair
        ) as changed_cells,
        (
            select coalesce(max(cast(pair.value as bigint)), 0)
            from json_each(cast(changes.changed_by_column as json)) as pair
        ) as most_changed_in_a_column
    from {{ ref('submission_changes') }} as changes
    inner join {{ ref('stg_lake__submissions') }} as submissions
        on changes.submission_id = submissions.submission_id
    left join {{ ref('stg_lake__submissions') }} as previous
        on
            changes.institution_code = previous.institution_code
            and changes.kind = previous.kind
            and changes.period = previous.period
            and changes.previous_version = previous.version
            and previous.status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
    where changes.previous_version is not null
)

select *
from compared
where
    previous_version != version - 1
    or previous_rows is null
    or added + changed + unchanged != version_rows
    or removed + changed + unchanged != previous_rows
    or changed_cells < changed
    or most_changed_in_a_column > changed
    or (changed = 0) != (changed_cells = 0)

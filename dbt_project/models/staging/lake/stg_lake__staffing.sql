select
    institution as institution_code,
    period,
    cast(version as integer) as version,
    submission_id,
    source_row,
    staff_key,
    sex,
    birth_year,
    hire_date,
    occupational_group,
    employment_type,
    cast(fte as double) as fte
from {{ source('lake', 'staffing') }}

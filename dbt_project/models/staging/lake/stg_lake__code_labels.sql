select
    code_list,
    code,
    lang,
    label
from {{ source('lake', 'code_labels') }}

#!/bin/bash
cd /work/same-answers
P=/work/main/.venv/bin/python
while ! grep -q done-extra logs/run_extra.out 2>/dev/null; do sleep 5; done
nice -n 10 $P diag_hot.py /work/same-answers/old changping-2014 1 raw/diag_old_changping_1.json > logs/diag.log 2>&1
nice -n 10 $P diag_hot.py /work/same-answers/new changping-2014 1 raw/diag_new_changping_1.json >> logs/diag.log 2>&1
nice -n 10 $P diag_hot.py /work/same-answers/new megacity-day 1 raw/diag_new_mega_1.json >> logs/diag.log 2>&1
nice -n 10 $P diag_hot.py /work/same-answers/new megacity-day 1 raw/diag_new_mega_1_full.json 1.0 >> logs/diag.log 2>&1
nice -n 10 $P diag_hot.py /work/same-answers/old megacity-day 1 raw/diag_old_mega_1.json >> logs/diag.log 2>&1
echo done-diag

#!/bin/bash
# after run_mega.sh: cascade functions side by side, then 200 more changping-2014 seeds in each tree
cd /work/same-answers
P=/work/main/.venv/bin/python
while ! grep -q done-mega logs/run_mega.out 2>/dev/null; do sleep 5; done
nice -n 10 $P cascade_check.py 200000 raw/cascade_check.json > logs/cascade_check.log 2>&1
nice -n 10 $P driver.py /work/same-answers/old changping-2014 21 220 raw/old_changping-2014_extra.json > logs/old_changping_extra.log 2>&1
nice -n 10 $P driver.py /work/same-answers/new changping-2014 21 220 raw/new_changping-2014_extra.json --mode memory > logs/new_changping_extra.log 2>&1
echo done-extra

#!/bin/bash
cd /work/same-answers
P=/work/main/.venv/bin/python
nice -n 10 /usr/bin/time -v $P driver.py /work/same-answers/new megacity-day 1 3 raw/new_megacity-day.json --mode stream > logs/new_megacity-day.log 2>&1
nice -n 10 /usr/bin/time -v $P driver.py /work/same-answers/old megacity-day 1 1 raw/old_megacity-day.json > logs/old_megacity-day.log 2>&1
echo done-mega

#!/bin/bash
# sequential (1 worker), nice 10; each tree × scenario in its own process
cd /work/same-answers
P=/work/main/.venv/bin/python
for s in changping-2014 golden-week-2014 hot-event-surge understaffed-desk apec-2014 silent-bureau; do
  nice -n 10 $P driver.py /work/same-answers/old $s 1 20 raw/old_$s.json > logs/old_$s.log 2>&1
  nice -n 10 $P driver.py /work/same-answers/new $s 1 20 raw/new_$s.json --mode memory > logs/new_$s.log 2>&1
  nice -n 10 $P driver.py /work/same-answers/new $s 1 20 raw/newstream_$s.json --mode stream > logs/newstream_$s.log 2>&1
done
echo done-small

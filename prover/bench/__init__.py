"""`zkclear bench prove`: zkclear's provers against their peers, whole process against whole
process, on the same `.zkey` and the same witness, in one run."""

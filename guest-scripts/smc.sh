# Self-modifying code: the guest runs a function, patches it in place and
# runs it again. The engine must drop the stale translation; the event log
# shows the blocks it invalidated.
smc

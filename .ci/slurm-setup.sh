#!/usr/bin/env bash
# Start a real single-node Slurm cluster on this machine (Debian, as root).
#
#   .ci/slurm-setup.sh                     # install if needed, configure, start, wait
#   SLURM_SETUP_GPUS=0 .ci/slurm-setup.sh  # no GPU stand-in on a CPU machine
#
# Idempotent and fast when the cluster is already up with this configuration.
# The cluster: one node `localhost` sized from nproc and MemTotal, one
# partition `debug`, munge auth, no slurmdbd (so `sacct` has no data), and
# every finished job recorded by jobcomp/filetxt in $SLURM_JOBCOMP_LOG.
#
# GPUs: where nvidia-smi lists GPUs the node offers them as GRES gpu
# (File=/dev/nvidiaN). Elsewhere, unless SLURM_SETUP_GPUS=0, it offers one
# GRES "gpu" backed by /dev/null, so jobs asking `--gpus=1` are scheduled
# and run on the CPU: a stand-in that lets CI test GPU requests, not a GPU.
#
# Environment: SLURM_SETUP_GPUS (0 or 1 on CPU machines, default 1),
# SLURM_JOBCOMP_LOG (default /var/log/slurm/jobcomp.log),
# SLURM_SETUP_TIMEOUT (seconds to wait for the node, default 60).
set -euo pipefail

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
GRES_CONF="$CONF_DIR/gres.conf"
MARKER="# written by cotdistill .ci/slurm-setup.sh"
LOG_DIR=/var/log/slurm
JOBCOMP_LOG="${SLURM_JOBCOMP_LOG:-$LOG_DIR/jobcomp.log}"
TIMEOUT="${SLURM_SETUP_TIMEOUT:-60}"
PIDS=(/run/slurmd.pid /run/slurmctld.pid)

log() { echo "slurm-setup: $*" >&2; }
die() { log "error: $*"; exit 1; }

node_state() { sinfo -h -N -n localhost -o '%t' 2>/dev/null | head -n1; }
node_up() { [[ "$(node_state)" =~ ^(idle|mix|alloc|comp)$ ]]; }

render_conf() {  # render_conf CPUS MEM_MB NGPU
  local cpus="$1" mem="$2" ngpu="$3" gres=""
  ((ngpu > 0)) && gres=" Gres=gpu:$ngpu"
  cat <<EOF
$MARKER
ClusterName=cotdistill
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
# containers have no usable cgroups: track processes through /proc, no binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((mem / cpus))
ReturnToService=2
# no slurmdbd: sacct is empty; every finished job is appended to the jobcomp file
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$JOBCOMP_LOG
# squeue shows finished jobs this long (snakemake's squeue status check needs it)
MinJobAge=900
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem$gres State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# 1. Packages.
need=()
for bin in slurmctld slurmd sinfo munged; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if ((${#need[@]})); then
  [[ "$(id -u)" == 0 ]] || die "slurm is not installed and installing it needs root"
  log "installing slurmctld slurmd slurm-client munge (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  # a policy-rc.d, where present, keeps the packages from starting daemons
  apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends \
           slurmctld slurmd slurm-client munge >/dev/null; } \
    || die "apt-get install slurmctld slurmd slurm-client munge failed"
fi

# 2. Configuration (a slurm.conf not written by this script is left alone).
changed=0
if [[ -f "$CONF" ]] && ! grep -qF "$MARKER" "$CONF"; then
  log "keeping $CONF (not written by this script)"
else
  cpus="$(nproc)"
  mem_mb="$(awk '/^MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"
  gres_conf=""
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    ngpu="$(nvidia-smi -L | grep -c '^GPU ' || true)"
    ((ngpu > 0)) && gres_conf="NodeName=localhost Name=gpu File=/dev/nvidia[0-$((ngpu - 1))]"
  else
    ngpu="${SLURM_SETUP_GPUS:-1}"
    [[ "$ngpu" =~ ^[01]$ ]] || die "SLURM_SETUP_GPUS must be 0 or 1 without real GPUs, got '$ngpu'"
    # a GRES with no device behind it (slurmd counts gpus by File)
    ((ngpu > 0)) && gres_conf="NodeName=localhost Name=gpu File=/dev/null"
  fi
  want_conf="$(render_conf "$cpus" "$mem_mb" "$ngpu")"
  want_gres="$(printf '%s\nAutoDetect=off\n%s' "$MARKER" "$gres_conf")"
  if [[ "$want_conf" != "$(cat "$CONF" 2>/dev/null)" || "$want_gres" != "$(cat "$GRES_CONF" 2>/dev/null)" ]]; then
    [[ "$(id -u)" == 0 ]] || die "must run as root to write $CONF"
    mkdir -p "$CONF_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd "$(dirname "$JOBCOMP_LOG")"
    for f in "$CONF" "$GRES_CONF"; do
      tmp="$(mktemp "$f.XXXXXX")"
      if [[ "$f" == "$CONF" ]]; then echo "$want_conf" >"$tmp"; else echo "$want_gres" >"$tmp"; fi
      chmod 644 "$tmp" && mv -f "$tmp" "$f"
    done
    changed=1
    log "wrote $CONF: $cpus cpus, $mem_mb MB, gpus=$ngpu, jobcomp=$JOBCOMP_LOG"
  fi
fi

if ((!changed)) && node_up; then
  log "already running: $(sinfo -h -N -o '%N %t %c cpus %m MB %G')"
  exit 0
fi
[[ "$(id -u)" == 0 ]] || die "must run as root to start munged, slurmctld, slurmd"

# 3. Daemons, detached so they outlive this script; restarted after a new config.
if ((changed)); then
  stopped=()
  for pidfile in "${PIDS[@]}"; do
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; then
      stopped+=("$pid")
      log "stopping $(basename "$pidfile" .pid) (pid $pid) for the new configuration"
    fi
  done
  for pid in "${stopped[@]}"; do
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && die "pid $pid did not stop within 30s"
  done
fi
install -d -o munge -g munge -m 0755 /run/munge
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- munged || die "munged did not start (see /var/log/munge/munged.log)"
fi
mkdir -p "$LOG_DIR"
pgrep -x slurmctld >/dev/null || setsid slurmctld -D -i </dev/null >>"$LOG_DIR/slurmctld.out" 2>&1 &
pgrep -x slurmd >/dev/null || setsid slurmd -D -N localhost </dev/null >>"$LOG_DIR/slurmd.out" 2>&1 &

# 4. Wait for the node; a node drained by an earlier configuration is resumed.
deadline=$((SECONDS + TIMEOUT))
until node_up; do
  pgrep -x slurmctld >/dev/null || { tail -n 5 "$LOG_DIR/slurmctld.log" >&2; die "slurmctld exited"; }
  if [[ "$(node_state)" =~ ^(drain|drng|inval|down)$ ]]; then
    scontrol update nodename=localhost state=resume 2>/dev/null || true
  fi
  if ((SECONDS >= deadline)); then
    sinfo -N -o '%N %t %E' 2>&1 | sed 's/^/  sinfo: /' >&2 || true
    tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 2>/dev/null || true
    die "node not idle after ${TIMEOUT}s (logs in $LOG_DIR)"
  fi
  sleep 0.5
done
log "ready in ${SECONDS}s: $(sinfo -h -N -o '%N %t %c cpus %m MB %G')"

/*
 * Tenon per-CPU quiescence barrier (plugin unload), Promela model.
 * See Models/README.md (with its line-by-line mapping to QuiescenceBarrier.swift).
 *
 * Build switches (spin -D...):
 *   MARK_AFTER_LOAD  broken read side: load the handler pointer, then mark.
 *   TSO              give every CPU a one-entry store buffer for its MARK store.
 *   NO_MEMBARRIER    the unloader's heavy barriers become no-ops.
 *   CHECK_PROGRESS   include the LTL claim "the unloader finishes" (run pan -a -f).
 *   FENCED_READER    the fenced read side (BarrierConfiguration.Fence.fenced): each reader
 *                    fences after its MARK and before its UNMARK; with -DTSO -DNO_MEMBARRIER it
 *                    is what runs when membarrier is unavailable.
 *   SCAN_RESTART     the scan restarts from CPU 0 at a non-zero slot (the original model);
 *                    default is how QuiescenceBarrier.drain() scans: wait on each CPU's slot
 *                    until it reads zero, then move to the next CPU, never revisiting one.
 * Mutants of one barrier step each (check.sh must refute every one):
 *   NO_FENCE_A / NO_FENCE_B / NO_FENCE_C  drop heavy fence 2, 5 or 7 of the unloader.
 *   NO_READER_FENCE  with FENCED_READER: drop the reader's fence after MARK.
 *   NO_STRAGGLER_SCAN  skip step 3 (the drain of the parity readers no longer use).
 *   NO_MAIN_SCAN     skip step 6 (the drain of the parity just retired).
 *   SCAN_SKIPS_LAST  the scans never read the last CPU's slot.
 *   UNMARK_CLEARS    a section's exit stores 0 instead of restoring the interrupted
 *                    section's count (exit's restore of a nested section).
 *   NCPU / NDISP / NNEST / NCYCLES  size knobs (defaults below).
 */

#ifndef NCPU
#define NCPU    2   /* two CPUs is the smallest case with a remote reader AND a scan over >1 slot */
#endif
#ifndef NDISP
#define NDISP   2   /* outer dispatches per CPU: the second one can read the flipped parity */
#endif
#ifndef NNEST
#define NNEST   1   /* nested interrupts per CPU over its whole run */
#endif
#ifndef NCYCLES
#define NCYCLES 2   /* unload/reload cycles: two cycles make parity 1 the "old" side once */
#endif

#define STUB 0      /* host-owned default handler; plugin handlers are their generation (1..NCYCLES) */

byte table  = 1;    /* published handler for the one modelled IRQ: STUB or plugin generation */
byte mapped = 1;    /* generation whose code is mapped, 0 = none. Asserting mapped == h rather
                       than "mapped != 0" also catches running gen 1 code after gen 2 was loaded. */
bit  parity = 0;    /* written only by the unloader */
byte nest[2 * NCPU];/* nest[2*c + p]: CPU c's counter for parity p, written only by CPU c */
bool unloaded = false;

#ifdef TSO
/* One pending store per CPU. Only MARK goes through it: MARK buffered past the handler load is
   the store->load reordering TSO allows and the whole design hinges on. A buffered UNMARK only
   keeps a counter non-zero longer, which can delay the unloader but never make it unsafe. */
bool sb_v[NCPU];
byte sb_i[NCPU];
byte sb_val[NCPU];
#endif

/* ---------------------------------------------------------------- CPU-local memory access */

inline DRAIN(c) {
#ifdef TSO
	if
	:: sb_v[c] -> nest[sb_i[c]] = sb_val[c]; sb_v[c] = 0; sb_i[c] = 0; sb_val[c] = 0
	:: else -> skip
	fi
#else
	skip
#endif
}

/* When does a buffered store drain? Only the unloader ever reads another CPU's slot (the owner
   reads through its own buffer, so for it the drain time is invisible), so a drain is observable
   only at an unloader read. Letting the unloader's read of CPU c's slot nondeterministically
   drain c's buffer first therefore covers every drain timing, without a separate drain process
   whose every interleaving with unrelated steps would multiply the state space. */
inline MAYBE_DRAIN(c) {
#ifdef TSO
	if
	:: DRAIN(c)
	:: skip
	fi
#else
	skip
#endif
}

/* A CPU reading its own slot sees its own buffered store (store forwarding). */
inline LOAD_OWN(c, idx, dst) {
#ifdef TSO
	atomic {
		if
		:: sb_v[c] && sb_i[c] == idx -> dst = sb_val[c]
		:: else -> dst = nest[idx]
		fi
	}
#else
	dst = nest[idx]
#endif
}

inline STORE_MARK(c, idx, v) {
#ifdef TSO
	/* The buffer is FIFO with one entry: an older pending store becomes visible first. */
	atomic { DRAIN(c); sb_v[c] = 1; sb_i[c] = idx; sb_val[c] = v }
#else
	nest[idx] = v
#endif
}

inline STORE_UNMARK(c, idx, v) {
#ifdef TSO
	atomic { DRAIN(c); nest[idx] = v }
#else
	nest[idx] = v
#endif
}

/* The fenced read side's seq_cst fence: empties this CPU's store buffer. */
inline READER_FENCE(c) {
#if defined(TSO) && defined(FENCED_READER) && !defined(NO_READER_FENCE)
	atomic { DRAIN(c) }
#else
	skip
#endif
}

/* ---------------------------------------------------------------- read side */

/* The nested dispatch: a signal handler on the same thread, so it runs to completion before the
   interrupted dispatch resumes, but other CPUs and the unloader interleave with it freely.
   It gets its own parity read and locals; it does not nest further (one level is enough to
   exercise "outer load, nested +1/-1, outer store" on the shared counter). */
inline DISPATCH_NESTED(c) {
	np = parity;
#ifdef MARK_AFTER_LOAD
	nh = table;
	LOAD_OWN(c, 2*c + np, nt);
	STORE_MARK(c, 2*c + np, nt + 1);
#else
	LOAD_OWN(c, 2*c + np, nt);
	STORE_MARK(c, 2*c + np, nt + 1);
	READER_FENCE(c);
	nh = table;
#endif
	if
	:: nh != STUB ->
		assert(mapped == nh)    /* nested: run plugin code (one step) */
	:: else -> skip
	fi;
	READER_FENCE(c);
#ifdef UNMARK_CLEARS
	/* Broken exit: "my section is over", so the slot goes to 0, dropping the interrupted
	   outer section's mark while the outer handler still runs. */
	STORE_UNMARK(c, 2*c + np, 0);
#else
	LOAD_OWN(c, 2*c + np, nt);
	STORE_UNMARK(c, 2*c + np, nt - 1);
#endif
	d_step { np = 0; nt = 0; nh = 0 }   /* dead locals reset: fewer distinct states */
}

/* A nested interrupt may arrive here (budgeted, so the model stays finite). */
inline MAYBE_NEST(c) {
	if
	:: budget > 0 -> budget--; DISPATCH_NESTED(c)
	:: true
	fi
}

inline DISPATCH(c) {
	p = parity;
	MAYBE_NEST(c);
#ifdef MARK_AFTER_LOAD
	/* Broken order: between this load and the mark below the unloader can unpublish, see every
	   counter at zero, and unmap; we then run code we fetched before the unpublish. */
	h = table;
	MAYBE_NEST(c);
	LOAD_OWN(c, 2*c + p, t);
	MAYBE_NEST(c);             /* between our load and store: nested +1/-1 must still balance */
	STORE_MARK(c, 2*c + p, t + 1);
	MAYBE_NEST(c);
#else
	/* Mark before loading the pointer. If an unloader scan reads our slot before the mark is
	   visible, its unpublish (which precedes the scan) also precedes our load, so we load STUB or
	   a later generation; if the scan sees the mark, it waits for us. Either way no unmap while
	   we run. Under TSO this needs the mark to be visible before the scan: the heavy barrier. */
	LOAD_OWN(c, 2*c + p, t);
	MAYBE_NEST(c);             /* between our load and store: nested +1/-1 must still balance */
	STORE_MARK(c, 2*c + p, t + 1);
	READER_FENCE(c);
	MAYBE_NEST(c);
	h = table;
	MAYBE_NEST(c);
#endif
	if
	:: h != STUB ->
		assert(mapped == h);   /* enter plugin code */
		MAYBE_NEST(c);         /* interrupt taken while inside the plugin */
		assert(mapped == h)    /* plugin code resumes after the nested dispatch, then leaves */
	:: else -> skip
	fi;
	MAYBE_NEST(c);
	READER_FENCE(c);
	LOAD_OWN(c, 2*c + p, t);
	MAYBE_NEST(c);             /* nested dispatch between UNMARK's load and store */
	STORE_UNMARK(c, 2*c + p, t - 1);
	d_step { p = 0; t = 0; h = 0 }
}

proctype cpu(byte c) {
	byte p, t, h;              /* outer dispatch locals */
	byte np, nt, nh;           /* nested dispatch locals (must not clobber the outer's) */
	byte budget = NNEST;
	byte i = 0;
	do
	:: i < NDISP -> DISPATCH(c); i++
	:: else -> break
	od;
	/* Every dispatch must leave its counters balanced (UNMARK drains the buffer first, so
	   nothing is pending here either). UNMARK_CLEARS breaks the balance on purpose: its
	   violation must be a run of unmapped code, not this bookkeeping check. */
#ifndef UNMARK_CLEARS
	assert(nest[2*c] == 0 && nest[2*c + 1] == 0);
#endif
#ifdef TSO
	assert(!sb_v[c])
#else
	skip
#endif
}

/* ---------------------------------------------------------------- unloader */

/* membarrier(PRIVATE_EXPEDITED): each running CPU executes a full fence, which empties its store
   buffer. Under sequential consistency there is nothing to drain and it is a no-op. */
inline HEAVY_BARRIER() {
#if defined(TSO) && !defined(NO_MEMBARRIER)
	atomic {
		k = 0;
		do
		:: k < NCPU -> DRAIN(k); k++
		:: else -> k = 0; break
		od
	}
#else
	skip
#endif
}

#ifdef SCAN_SKIPS_LAST
#define SCANNED (NCPU - 1)
#else
#define SCANNED NCPU
#endif

#ifdef SCAN_RESTART
/* Wait until one full pass sees every CPU's slot for parity x at zero. The slots are read one at
   a time (a CPU may mark slot 0 right after we read it); a non-zero slot restarts the pass. */
inline SCAN(x) {
	k = 0;
	do
	:: k < SCANNED ->
		atomic {
			MAYBE_DRAIN(k);
			printf("unloader: CPU%d nest[parity %d] reads %d\n", k, x, nest[2*k + x]);
			if
			:: nest[2*k + x] == 0 -> k++
			:: else -> k = 0
			fi
		}
	:: atomic { else -> k = 0; break }
	od
}
#else
/* QuiescenceBarrier.drain(): for cpu in 0..<count, re-read that CPU's slot until it reads zero
   (one acquiring load per read), then go on; a slot already passed is never read again. */
inline SCAN(x) {
	k = 0;
	do
	:: k < SCANNED ->
		atomic {
			MAYBE_DRAIN(k);
			printf("unloader: CPU%d nest[parity %d] reads %d\n", k, x, nest[2*k + x]);
			if
			:: nest[2*k + x] == 0 -> k++
			:: else -> skip
			fi
		}
	:: atomic { else -> k = 0; break }
	od
}
#endif

proctype unloader() {
	byte gen = 1, old, k;
	do
	:: true ->
		table = STUB;          /* 1. unpublish */
#ifndef NO_FENCE_A
		HEAVY_BARRIER();       /* 2. marks made before a reader's stale load are now visible */
#endif
		old = parity;
#ifndef NO_STRAGGLER_SCAN
		SCAN(1 - old);         /* 3. stragglers that read parity before the last flip */
#endif
		parity = 1 - old;      /* 4. new dispatches now mark the other slot, so the wait below
		                             is bounded by in-flight dispatches, not by the IRQ rate */
#ifndef NO_FENCE_B
		HEAVY_BARRIER();       /* 5. */
#endif
#ifndef NO_MAIN_SCAN
		SCAN(old);             /* 6. everyone who marked the old side has left */
#endif
#ifndef NO_FENCE_C
		HEAVY_BARRIER();       /* 7. */
#endif
		mapped = 0;            /* 8. dlclose */
		if
		:: gen < NCYCLES ->    /* reload: dlopen a new generation, then publish it */
			gen++;
			mapped = gen;
			table = gen
		:: else -> break
		fi
	od;
	unloaded = true
}

init {
	byte n = 0;
	atomic {
		do
		:: n < NCPU ->
			run cpu(n);
			n++
		:: else -> break
		od;
		run unloader()
	}
}

#ifdef CHECK_PROGRESS
/* Progress: with finitely many dispatches, the unload always completes (check with weak
   fairness, pan -a -f; without fairness a scheduler could simply never run the readers). */
ltl unload_terminates { <> unloaded }
#endif

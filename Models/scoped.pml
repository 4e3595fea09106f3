/*
 * Tenon: a grace period for one plugin (independent unloads), Promela model.
 * See Models/README.md, "Per-owner grace periods".
 *
 * IRQPipeline.synchronize(timeout:reaching:) waits only for CPUs whose open section can
 * still lead into the unloaded owner's code: the drain skips a CPU whose word for the
 * parity being drained shows exactly one open section (depth 1) on a line where the owner
 * never had an action. This model checks that rule against the real hazards: a section
 * whose loaded chain continues into the owner's action after another plugin's handler
 * (a shared line), and a section interrupted by a nested one on another line (the word
 * then names only the inner section's line).
 *
 * Memory is sequentially consistent here: the store-buffer and fence questions of the
 * read side are barrier.pml's; this model is about which slots the scans may skip.
 *
 * Two lines: L0 carries only plugin A's action; L1 carries A's action, then B's (shared).
 * B is unloaded once: unpublished from L1, scanned for with the skip rule, then unmapped.
 * Every run of B's code asserts it is still mapped.
 *
 * Mutants of the skip rule (check.sh must refute each):
 *   SKIP_ANY_DEPTH   skip on the line alone, whatever the depth (nested sections).
 *   SKIP_ANY_LINE    skip every depth-1 section, whatever its line (shared lines).
 */

#define NCPU 2
#define L0 0
#define L1 1

bit  parity = 0;
bool publishedB = true;   /* B's action is in L1's chain */
bool mappedB = true;
/* word[2*c + p]: CPU c's section word for parity p: depth, and the innermost section's line. */
byte depth[2 * NCPU];
bit  line[2 * NCPU];
bool unloaded = false;

proctype cpu(byte c) {
	bit l, nl;
	bool hasB, nhasB;
	bit p, np;
	byte dsaved, nsaved;
	bit lsaved, nlsaved;
	/* One outer dispatch, possibly interrupted by one nested dispatch. */
	if :: l = L0 :: l = L1 fi;
	atomic { p = parity }
	atomic { dsaved = depth[2*c + p]; lsaved = line[2*c + p]; depth[2*c + p] = dsaved + 1; line[2*c + p] = l }
	hasB = (l == L1 && publishedB);
	/* A's handler runs; an interrupt may nest here. */
	if
	:: true ->
		if :: nl = L0 :: nl = L1 fi;
		atomic { np = parity }
		atomic { nsaved = depth[2*c + np]; nlsaved = line[2*c + np]; depth[2*c + np] = nsaved + 1; line[2*c + np] = nl }
		nhasB = (nl == L1 && publishedB);
		if
		:: nhasB -> assert(mappedB)
		:: else -> skip
		fi;
		atomic { depth[2*c + np] = nsaved; line[2*c + np] = nlsaved }
	:: true -> skip
	fi;
	if
	:: hasB -> assert(mappedB)
	:: else -> skip
	fi;
	atomic { depth[2*c + p] = dsaved; line[2*c + p] = lsaved }
}

/* The drain of parity x with the skip rule: wait on each CPU's word until it is 0, or
   until it shows one section on a line B never had (only L1 ever had B's action). */
inline SCAN(x) {
	k = 0;
	do
	:: k < NCPU ->
		do
		:: depth[2*k + x] == 0 -> break
#if defined(SKIP_ANY_DEPTH)
		:: line[2*k + x] != L1 -> break
#elif defined(SKIP_ANY_LINE)
		:: depth[2*k + x] == 1 -> break
#else
		:: atomic { depth[2*k + x] == 1 && line[2*k + x] != L1 } -> break
#endif
		od;
		k++
	:: else -> break
	od
}

proctype unloader() {
	byte k;
	bit old;
	publishedB = false;     /* suspend: B leaves L1's chain */
	old = parity;
	SCAN(1 - old);          /* stragglers */
	parity = 1 - old;       /* flip */
	SCAN(old);              /* main drain */
	mappedB = false;        /* exit(), dlclose */
	unloaded = true
}

init {
	atomic {
		run cpu(0);
		run cpu(1);
		run unloader()
	}
}

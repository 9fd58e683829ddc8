;; DTS: a decentralized t-of-n threshold BLS signing network.
;;
;; Clarity has no BLS pairing: this contract never verifies a BLS signature. It enforces what
;; it can check itself; an invalid partial or aggregate, and a signer's metrics, are decided
;; only by a supermajority of the active bonded watchtowers (get-watchtower-supermajority).
;; Long durations count Bitcoin blocks, the signing timeout Stacks blocks; paused blocks never
;; count (burn-now, stacks-now). README.md, "Trust model", says what each party can do.

;; ===== Constants and errors =====

(define-constant CONTRACT-OWNER tx-sender)

;; Largest committee; every list over a committee is bounded by it.
(define-constant MAX-COMMITTEE u32)
;; Largest number of registered signers; bounds the rotation's ranking fold.
(define-constant MAX-SIGNERS u128)
;; Largest number of registered watchtowers; bounds the per-interval report lists.
(define-constant MAX-WATCHTOWERS u32)

(define-constant BPS u10000)
(define-constant PERCENT u100)
(define-constant MAX-REPUTATION u10000)
;; A new signer starts here, half way, until its first metric change.
(define-constant NEUTRAL-REPUTATION u5000)
;; Reputation points lost per slash (see compute-reputation).
(define-constant SLASH-REPUTATION-PENALTY u1500)
;; Uptime points (percent) lost per missed signature.
(define-constant MISSED-UPTIME-PENALTY u10)
;; Largest signing-speed (blocks) that a report or update may carry.
(define-constant MAX-SIGNING-SPEED u100000)

;; Watchtower accuracy-score: starts at 100; +5 per confirmed claim against a partial, -10
;; per expired claim; below the floor (or with less than half the bond left) the watchtower
;; is deactivated.
(define-constant WATCHTOWER-START-ACCURACY u100)
(define-constant WATCHTOWER-CONFIRM-BONUS u5)
(define-constant WATCHTOWER-EXPIRY-PENALTY u10)
(define-constant WATCHTOWER-MIN-ACCURACY u50)

;; BLS12-381 min-pk encodings (zcash/IETF compressed form): flag bits of the first byte.
(define-constant G1-COMPRESSED-LEN u48)
(define-constant G2-COMPRESSED-LEN u96)
(define-constant HASH-LEN u32)
(define-constant FLAG-COMPRESSED u128)
(define-constant FLAG-INFINITY u64)
;; The BLS12-381 base field modulus p, big-endian: an encoded x must be below it.
(define-constant FIELD-MODULUS 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab)
(define-constant X-TOP-BITS u31)            ;; the low five bits of the first byte belong to x
;; A serving committee whose successor has not activated this many rotation periods after
;; it was formed (its rotation due one period in, then four more) may wind down.
(define-constant WIND-DOWN-PERIODS u5)
(define-constant NO-POSITION u1000)         ;; beyond any position in signer-list

(define-constant ERR-UNAUTHORIZED (err u100))
(define-constant ERR-INVALID-PARAMS (err u101))
(define-constant ERR-INSUFFICIENT-STAKE (err u102))
(define-constant ERR-INVALID-SIGNATURE (err u103))
(define-constant ERR-INVALID-THRESHOLD (err u104))
(define-constant ERR-WATCHTOWER-EXISTS (err u105))
(define-constant ERR-NOT-ACTIVE-SIGNER (err u106))
(define-constant ERR-ALREADY-REGISTERED (err u107))
(define-constant ERR-INVALID-METRICS (err u108))
(define-constant ERR-INVALID-SIGNATURE-LENGTH (err u109))
(define-constant ERR-INVALID-KEY-LENGTH (err u110))
(define-constant ERR-ALREADY-INITIALIZED (err u111))
(define-constant ERR-NOT-INITIALIZED (err u112))
(define-constant ERR-PAUSED (err u113))
(define-constant ERR-NOT-REGISTERED (err u114))
(define-constant ERR-INVALID-KEY (err u115))
(define-constant ERR-KEY-IN-USE (err u116))
(define-constant ERR-INVALID-AMOUNT (err u117))
(define-constant ERR-STAKE-LOCKED (err u118))
(define-constant ERR-NOTHING-TO-WITHDRAW (err u119))
(define-constant ERR-REQUEST-EXISTS (err u120))
(define-constant ERR-UNKNOWN-REQUEST (err u121))
(define-constant ERR-REQUEST-EXPIRED (err u122))
(define-constant ERR-ALREADY-SIGNED (err u123))
(define-constant ERR-THRESHOLD-NOT-MET (err u124))
(define-constant ERR-ALREADY-FINALIZED (err u125))
(define-constant ERR-NO-ACTIVE-KEY (err u126))
(define-constant ERR-KEY-MISMATCH (err u127))
(define-constant ERR-UNKNOWN-EPOCH (err u128))
(define-constant ERR-ROTATION-NOT-DUE (err u129))
(define-constant ERR-INSUFFICIENT-SIGNERS (err u130))
(define-constant ERR-FEE-TOO-LOW (err u131))
(define-constant ERR-NOT-WATCHTOWER (err u132))
(define-constant ERR-ALREADY-REPORTED (err u133))
(define-constant ERR-DEADLINE-NOT-REACHED (err u134))
(define-constant ERR-NOT-PENALIZABLE (err u135))
(define-constant ERR-UNKNOWN-PROPOSAL (err u136))
(define-constant ERR-VOTING-CLOSED (err u137))
(define-constant ERR-VOTING-OPEN (err u138))
(define-constant ERR-ALREADY-VOTED (err u139))
(define-constant ERR-PROPOSAL-REJECTED (err u140))
(define-constant ERR-ALREADY-EXECUTED (err u141))
(define-constant ERR-UNKNOWN-PARAMETER (err u142))
(define-constant ERR-SIGNER-LIMIT (err u143))
(define-constant ERR-WATCHTOWER-LIMIT (err u144))
(define-constant ERR-CLAIM-EXPIRED (err u145))
(define-constant ERR-UNKNOWN-CLAIM (err u146))
(define-constant ERR-EPOCH-CLOSED (err u147))
(define-constant ERR-INSUFFICIENT-FUNDS (err u148))
(define-constant ERR-FEE-EARNED (err u149))
(define-constant ERR-NOT-FINALIZED (err u150))
(define-constant ERR-FEE-SETTLED (err u151))
(define-constant ERR-NOT-PAUSED (err u152))
(define-constant ERR-INVALID-COMMITTEE (err u153))
(define-constant ERR-PROPOSAL-EXPIRED (err u154))

;; ===== Configuration =====

(define-data-var initialized bool false)
(define-data-var paused bool false)
(define-data-var guardian principal CONTRACT-OWNER)

;; The pause clock: heights at which the current pause began, and blocks spent paused so far.
(define-data-var pause-began {stacks: uint, burn: uint} {stacks: u0, burn: u0})
(define-data-var paused-blocks {stacks: uint, burn: uint} {stacks: u0, burn: u0})

;; Every parameter by name, for governance. initialize sets five; the rest start at the
;; defaults below (micro-STX, basis points; signing-timeout in Stacks blocks, the periods in
;; Bitcoin blocks).
(define-map params (string-ascii 32) uint)

(define-constant DEFAULT-SIGNING-TIMEOUT u120)       ;; Stacks blocks a request stays open
(define-constant DEFAULT-UNBONDING-PERIOD u2016)     ;; Bitcoin blocks (two weeks) before unstaked STX can leave
(define-constant DEFAULT-WATCHTOWER-BOND u100000000) ;; 100 STX
(define-constant DEFAULT-WATCHTOWER-QUORUM u3)       ;; fewest distinct watchtowers for any decision
(define-constant DEFAULT-FALSE-CLAIM-BPS u1000)      ;; 10% of a bond per claim that expired without quorum
(define-constant DEFAULT-SLASH-INVALID-BPS u1000)    ;; 10% of stake for an invalid partial
(define-constant DEFAULT-SLASH-LIVENESS-BPS u100)    ;; 1% of stake for a missed signature
(define-constant DEFAULT-NOTIFIER-REWARD-BPS u1000)  ;; 10% of a slash to who proved it
(define-constant DEFAULT-MIN-REPUTATION u2000)       ;; eligibility floor for committees
(define-constant DEFAULT-MIN-FEE u1000)              ;; smallest request fee
(define-constant DEFAULT-VOTING-PERIOD u1008)        ;; Bitcoin blocks (a week)
(define-constant DEFAULT-QUORUM-BPS u2000)
(define-constant DEFAULT-CLAIM-WINDOW u144)          ;; Bitcoin blocks (a day) to contest a partial or aggregate
(define-constant DEFAULT-REPORT-INTERVAL u144)       ;; Bitcoin blocks per watchtower reporting interval
(define-constant DEFAULT-DKG-TIMEOUT u144)           ;; Bitcoin blocks a forming epoch has to agree on a key

;; Bounds of every parameter governance may set (relations between them are checked in
;; `valid-config`). Periods: 52560 Bitcoin blocks is about a year.
(define-map param-bounds (string-ascii 32) {min: uint, max: uint})
(map-set param-bounds "min-stake" {min: u1, max: u1000000000000000})
(map-set param-bounds "required-signers" {min: u1, max: MAX-COMMITTEE})
(map-set param-bounds "total-signers" {min: u1, max: MAX-COMMITTEE})
(map-set param-bounds "rotation-period" {min: u1, max: u52560})
(map-set param-bounds "signature-threshold" {min: u1, max: MAX-COMMITTEE})
(map-set param-bounds "signing-timeout" {min: u6, max: u10000})
(map-set param-bounds "unbonding-period" {min: u2, max: u52560})
(map-set param-bounds "watchtower-bond" {min: u1, max: u1000000000000000})
(map-set param-bounds "watchtower-quorum" {min: u1, max: MAX-WATCHTOWERS})
(map-set param-bounds "slash-invalid-bps" {min: u0, max: BPS})
(map-set param-bounds "slash-liveness-bps" {min: u0, max: u5000})
(map-set param-bounds "notifier-reward-bps" {min: u0, max: BPS})
(map-set param-bounds "min-reputation" {min: u0, max: MAX-REPUTATION})
(map-set param-bounds "min-fee" {min: u1, max: u1000000000000000})
(map-set param-bounds "voting-period" {min: u1, max: u52560})
(map-set param-bounds "quorum-bps" {min: u1, max: BPS})
(map-set param-bounds "claim-window" {min: u1, max: u52560})
(map-set param-bounds "report-interval" {min: u1, max: u52560})
(map-set param-bounds "max-churn" {min: u0, max: MAX-COMMITTEE})
(map-set param-bounds "false-claim-bps" {min: u0, max: BPS})
(map-set param-bounds "dkg-timeout" {min: u1, max: u52560})

;; ===== State =====

;; Signers. `seq` is the registration order (rotation's tie-break). Status is derived:
;; exiting (asked to leave), primary (in the serving committee) or backup.
(define-map signers principal {
  stake: uint,
  public-key: (buff 48),
  reputation-score: uint,
  last-active: uint,
  performance-metrics: {
    signing-speed: uint,      ;; moving average of blocks from request to partial
    uptime: uint,             ;; percent, 0..100
    stake-duration: uint,     ;; blocks since the stake was first locked
    accuracy: uint,           ;; percent, valid-signatures * 100 / total-signatures
    total-signatures: uint,
    valid-signatures: uint
  },
  slashing-history: {total-slashes: uint, last-slash-height: uint, slashed-amount: uint},
  registered-at: uint,
  seq: uint,
  unbonding: uint,
  unbonding-release: uint,                 ;; Bitcoin block height
  claim-until: uint,                       ;; burn-now until which its last partial may be contested
  excluded-from: uint,                     ;; an epoch it may not join (silent in a cancelled one)
  exiting: bool
})
(define-map signer-keys (buff 48) principal)
;; Registered signers in registration order, and beside them, position for position, what
;; ranking and eligibility need, so that a rotation reads every signer in one read.
(define-data-var signer-list (list 128 principal) (list))
(define-data-var ranking (list 128 {signer: principal, stake: uint, reputation: uint, seq: uint,
                                    exiting: bool, excluded-from: uint}) (list))
(define-data-var signer-seq uint u0)

;; Epochs: a committee (position = share index, 1-based) and, once agreed, its keys.
(define-map epochs uint {
  committee: (list 32 principal),
  threshold: uint,
  previous: uint,                        ;; the active epoch this one reshares from, 0 = none
  group-public-key: (optional (buff 48)),
  share-public-keys: (list 32 (buff 48)),
  status: (string-ascii 9),              ;; "pending", "active" or "cancelled"
  created-at: uint,
  formed-at: uint,                       ;; burn-now at the rotation (dkg-timeout, wind-down)
  activated-at: uint
})
(define-map members {epoch: uint, signer: principal} uint)
;; The bonded stake each member was ranked with: it stays bonded while the epoch serves or forms.
(define-map seat-stakes {epoch: uint, signer: principal} uint)
;; Members that posted a deal (phase 1) in an epoch's DKG or reshare.
(define-map dkg-dealt {epoch: uint, signer: principal} bool)
(define-map epoch-key-votes {epoch: uint, voter: principal} (buff 32))
(define-map epoch-key-tally {epoch: uint, result: (buff 32)} uint)
(define-data-var current-epoch uint u0) ;; the active epoch that serves requests
(define-data-var latest-epoch uint u0)  ;; the newest epoch, pending or active
(define-data-var last-rotation uint u0)

;; Signing requests and partial signatures, keyed by the 32-byte message hash.
(define-map requests (buff 32) {
  requester: principal,
  fee: uint,
  epoch: uint,
  created-at: uint,                      ;; stacks-now
  deadline: uint,                        ;; stacks-now; partials after it are refused
  partial-count: uint,                   ;; partials not confirmed invalid
  signers: (list 32 principal),          ;; everyone who submitted a partial, in order
  aggregate-signature: (optional (buff 96)),
  aggregator: (optional principal),
  finalized-at: uint,                    ;; Stacks block height of the standing aggregate
  settle-at: uint,                       ;; burn-now after which the aggregate stands for good
  closed-early: bool,                    ;; an aggregate stood before the deadline
  fee-paid: bool,                        ;; settled once, to the valid partials
  refunded: bool,
  attempt: uint,                         ;; 1, +1 each time a refunded hash is requested again
  contest-until: uint                    ;; burn-now until which any of its partials may be contested
})
(define-map partial-signatures {message-hash: (buff 32), signer: principal} {
  signature: (buff 96),
  message-hash: (buff 32),
  timestamp: uint,                       ;; stacks-now
  index: uint,
  claim-until: uint,                     ;; burn-now until which it may be contested
  invalid: bool,
  attempt: uint                          ;; the request attempt it belongs to
})

;; Watchtowers.
(define-map watchtowers principal {
  last-report: uint,
  reports-submitted: uint,
  accuracy-score: uint,
  is-active: bool,
  bond: uint,
  registered-at: uint,
  release-at: uint,                      ;; 0 while active; else the Bitcoin height the bond may leave
  open-claims: uint                      ;; claims it made that are not yet confirmed or expired
})
;; Active watchtowers: the slots in use and the base of the supermajority.
(define-data-var active-watchtowers uint u0)
(define-map watchtower-reports {watchtower: principal, signer: principal, interval: uint} {
  uptime: uint, signing-speed: uint, accuracy: uint
})
;; An interval's reports on a signer that count: those of watchtowers still active (a report
;; leaves with its watchtower, so one slot cycled through accounts never makes a quorum),
;; sorted, and the quorum, never below the supermajority at the first report.
(define-map interval-reports {signer: principal, interval: uint} {
  reporters: (list 32 principal),
  uptimes: (list 32 uint), speeds: (list 32 uint), accuracies: (list 32 uint), quorum: uint
})

;; Claims that a standing aggregate is invalid, keyed by the aggregate they accuse; open
;; until the request's settle-at.
(define-map aggregate-claims {message-hash: (buff 32), aggregate: (buff 96)} {
  claimants: (list 32 principal),
  opened-at: uint
})

;; Claims that a stored partial is invalid; open until the partial's claim-until. A claim of
;; an earlier attempt of the request is stale: its window has closed.
(define-map claims {message-hash: (buff 32), signer: principal} {
  claimants: (list 32 principal),
  opened-at: uint,
  confirmed: bool,
  attempt: uint
})
;; The request attempt a member was penalized for missing.
(define-map liveness-penalties {message-hash: (buff 32), signer: principal} uint)
(define-map liveness-intervals principal uint) ;; the report interval of a member's last one

;; Governance: proposals voted by bonded stake. kind is "parameter" (parameter := value),
;; "treasury" (value micro-STX to recipient) or "guardian" (recipient becomes guardian).
(define-map proposals uint {
  proposer: principal,
  kind: (string-ascii 9),
  parameter: (string-ascii 32),
  value: uint,
  recipient: (optional principal),
  votes-for: uint,
  votes-against: uint,
  created-at: uint,                      ;; Bitcoin block height
  ends-at: uint,                         ;; Bitcoin block height: voting closes, execution opens
  expires-at: uint,                      ;; Bitcoin block height: execution closes
  total-stake: uint,                     ;; bonded stake when proposed (turnout counts against it too)
  executed: bool
})
(define-map proposal-votes {proposal-id: uint, voter: principal} {support: bool, weight: uint})
(define-data-var proposal-count uint u0)

;; Accounting: these parts always add up to the contract's STX balance.
(define-data-var total-stake uint u0)        ;; signers' bonded stake
(define-data-var total-unbonding uint u0)    ;; signers' stake waiting out unbonding
(define-data-var total-bonds uint u0)        ;; watchtower bonds
(define-data-var total-pending-fees uint u0) ;; fees of open requests
(define-data-var total-rewards uint u0)      ;; earned, not yet claimed
(define-data-var treasury uint u0)           ;; slashes and remainders; governance spends
(define-map rewards principal uint)

;; ===== Private helpers =====

(define-private (param (name (string-ascii 32)))
  (default-to u0 (map-get? params name)))

(define-private (min-uint (a uint) (b uint)) (if (< a b) a b))

(define-private (max-uint (a uint) (b uint)) (if (> a b) a b))

;; The pause clocks: heights less the blocks spent paused, frozen while paused. Every
;; deadline, claim window, report interval and rotation period is measured on them, so a
;; pause never makes anyone late.
(define-private (stacks-now)
  (- (if (var-get paused) (get stacks (var-get pause-began)) stacks-block-height)
     (get stacks (var-get paused-blocks))))

(define-private (burn-now)
  (- (if (var-get paused) (get burn (var-get pause-began)) burn-block-height)
     (get burn (var-get paused-blocks))))

(define-private (first-byte (bytes (buff 96)))
  (buff-to-uint-be (default-to 0x00 (element-at? bytes u0))))

;; Compressed flag set, infinity flag clear: the shape of a usable point.
(define-private (valid-point-flags (bytes (buff 96)))
  (let ((flags (first-byte bytes)))
    (and (> (bit-and flags FLAG-COMPRESSED) u0) (is-eq (bit-and flags FLAG-INFINITY) u0))))

;; The x coordinate (the encoding less its three flag bits) is below the field modulus.
;; Whether x is on the curve and in G1 only a verifier can tell; off-chain nodes treat a
;; member whose key does not decode as absent.
(define-private (x-below-modulus (key (buff 48)))
  (let ((top (bit-and (first-byte key) X-TOP-BITS))
        (p-top (first-byte FIELD-MODULUS)))
    (or (< top p-top)
        (and (is-eq top p-top)
             (< (unwrap-panic (slice? key u1 G1-COMPRESSED-LEN))
                (unwrap-panic (slice? FIELD-MODULUS u1 G1-COMPRESSED-LEN)))))))

(define-private (check-g1 (key (buff 48)))
  (begin
    (asserts! (is-eq (len key) G1-COMPRESSED-LEN) ERR-INVALID-KEY-LENGTH)
    (asserts! (and (valid-point-flags key) (x-below-modulus key)) ERR-INVALID-KEY)
    (ok true)))

(define-private (check-g1-fold (key (buff 48)) (acc (response bool uint)))
  (match acc ok-value (check-g1 key) err-value acc))

(define-private (check-g2 (sig (buff 96)))
  (begin
    (asserts! (is-eq (len sig) G2-COMPRESSED-LEN) ERR-INVALID-SIGNATURE-LENGTH)
    (asserts! (valid-point-flags sig) ERR-INVALID-SIGNATURE)
    (ok true)))

(define-private (check-active)
  (begin
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (asserts! (var-get initialized) ERR-NOT-INITIALIZED)
    (ok true)))

;; Governance is never paused, so that stakers can always replace a guardian.
(define-private (check-initialized)
  (begin
    (asserts! (var-get initialized) ERR-NOT-INITIALIZED)
    (ok true)))

(define-private (transfer-in (amount uint) (shortfall (response bool uint)))
  (begin
    (asserts! (>= (stx-get-balance tx-sender) amount) shortfall)
    (stx-transfer? amount tx-sender current-contract)))

(define-private (transfer-out (amount uint) (recipient principal))
  (as-contract? ((with-stx amount)) (try! (stx-transfer? amount tx-sender recipient))))

(define-private (credit-reward (who principal) (amount uint))
  (begin
    (map-set rewards who (+ (default-to u0 (map-get? rewards who)) amount))
    (var-set total-rewards (+ (var-get total-rewards) amount))))

(define-private (is-member (epoch uint) (who principal))
  (is-some (map-get? members {epoch: epoch, signer: who})))

;; A serving committee whose successor never activated, long after its rotation was due,
;; may leave: nobody's stake stays locked forever.
(define-private (wound-down)
  (match (map-get? epochs (var-get current-epoch))
    serving (>= (burn-now) (+ (get formed-at serving) (* WIND-DOWN-PERIODS (param "rotation-period"))))
    false))

;; The forming epoch, while it forms (not yet active, not cancelled).
(define-private (forming-epoch)
  (let ((latest (var-get latest-epoch)))
    (match (map-get? epochs latest)
      info (if (is-eq (get status info) "pending") latest u0)
      u0)))

;; Members of the serving committee (until it winds down) and of the forming committee.
(define-private (stake-locked (who principal))
  (or (and (is-member (var-get current-epoch) who) (not (wound-down)))
      (is-member (forming-epoch) who)))

;; The stake that ranked a member into the serving or forming epoch stays bonded.
(define-private (locked-stake (who principal))
  (max-uint
    (if (wound-down) u0 (default-to u0 (map-get? seat-stakes {epoch: (var-get current-epoch), signer: who})))
    (default-to u0 (map-get? seat-stakes {epoch: (forming-epoch), signer: who}))))

;; Stores a signer record and its ranking entry (same position as in signer-list).
(define-private (save-signer (who principal) (info {
    stake: uint, public-key: (buff 48), reputation-score: uint, last-active: uint,
    performance-metrics: {signing-speed: uint, uptime: uint, stake-duration: uint, accuracy: uint,
                          total-signatures: uint, valid-signatures: uint},
    slashing-history: {total-slashes: uint, last-slash-height: uint, slashed-amount: uint},
    registered-at: uint, seq: uint, unbonding: uint, unbonding-release: uint, claim-until: uint,
    excluded-from: uint, exiting: bool}))
  (let ((entry {signer: who, stake: (get stake info), reputation: (get reputation-score info), seq: (get seq info),
                exiting: (get exiting info), excluded-from: (get excluded-from info)})
        (rows (var-get ranking)))
    (map-set signers who info)
    (var-set ranking
      (match (index-of? (var-get signer-list) who)
        at (if (< at (len rows))
             (unwrap-panic (replace-at? rows at entry))
             (unwrap-panic (as-max-len? (append rows entry) u128)))
        (unwrap-panic (as-max-len? (append rows entry) u128))))
    true))

;; Removes a signer that left: record, key, list position and ranking entry.
(define-private (remove-signer (who principal) (public-key (buff 48)))
  (let ((names (var-get signer-list))
        (rows (var-get ranking))
        (at (unwrap-panic (index-of? names who))))
    (map-delete signers who)
    (map-delete signer-keys public-key)
    ;; slice? is none for an empty range at either end: default to the empty list
    (var-set signer-list (unwrap-panic (as-max-len? (concat (default-to (list) (slice? names u0 at))
                                                            (default-to (list) (slice? names (+ at u1) (len names)))) u128)))
    (var-set ranking (unwrap-panic (as-max-len? (concat (default-to (list) (slice? rows u0 at))
                                                        (default-to (list) (slice? rows (+ at u1) (len rows)))) u128)))
    true))

(define-private (signer-status (who principal) (exiting bool))
  (if exiting "exiting" (if (is-member (var-get current-epoch) who) "primary" "backup")))

;; Reputation, 0..10000:
;;   base    = 40 * uptime + 40 * accuracy + 20 * speed-score   (uptime, accuracy in percent)
;;   speed-score = 100 / max(signing-speed, 1)                   (1 block = 100, 4 blocks = 25)
;;   penalty = 1500 * total-slashes
;;           + 5000 while total-signatures = 0 (no track record yet: a new signer's perfect
;;             default metrics score 10000 - 5000 = the neutral 5000, and any fault lowers it)
;;   reputation = base - min(base, penalty)
(define-private (compute-reputation
    (metrics {signing-speed: uint, uptime: uint, stake-duration: uint, accuracy: uint,
              total-signatures: uint, valid-signatures: uint})
    (history {total-slashes: uint, last-slash-height: uint, slashed-amount: uint}))
  (let (
    (speed-score (/ PERCENT (if (> (get signing-speed metrics) u1) (get signing-speed metrics) u1)))
    (base (+ (* u40 (get uptime metrics)) (* u40 (get accuracy metrics)) (* u20 speed-score)))
    (untested (if (is-eq (get total-signatures metrics) u0) (- MAX-REPUTATION NEUTRAL-REPUTATION) u0))
    (penalty (+ untested (* SLASH-REPUTATION-PENALTY (get total-slashes history)))))
    (- base (min-uint base penalty))))

(define-private (accuracy-of (valid uint) (total uint))
  (if (is-eq total u0) PERCENT (/ (* valid PERCENT) total)))

;; Stores new metrics for a signer, refreshing stake-duration and reputation.
(define-private (store-metrics (who principal) (info {
    stake: uint, public-key: (buff 48), reputation-score: uint, last-active: uint,
    performance-metrics: {signing-speed: uint, uptime: uint, stake-duration: uint, accuracy: uint,
                          total-signatures: uint, valid-signatures: uint},
    slashing-history: {total-slashes: uint, last-slash-height: uint, slashed-amount: uint},
    registered-at: uint, seq: uint, unbonding: uint, unbonding-release: uint, claim-until: uint,
    excluded-from: uint, exiting: bool}))
  (let (
    (metrics (merge (get performance-metrics info)
                    {stake-duration: (- stacks-block-height (get registered-at info))}))
    (reputation (compute-reputation metrics (get slashing-history info))))
    (save-signer who (merge info {performance-metrics: metrics, reputation-score: reputation}))
    (print {topic: "metrics-updated", signer: who, performance-metrics: metrics,
            reputation-score: reputation})
    reputation))

;; Slashes `bps` of a signer's stake plus unbonding stake, unbonding stake first (so that
;; unbonding never shields the bond a committee seat needs), stores the record `info` (the
;; caller's metric changes included) once, and returns the amount; the caller decides where
;; it goes.
(define-private (slash-signer (who principal) (info {
    stake: uint, public-key: (buff 48), reputation-score: uint, last-active: uint,
    performance-metrics: {signing-speed: uint, uptime: uint, stake-duration: uint, accuracy: uint,
                          total-signatures: uint, valid-signatures: uint},
    slashing-history: {total-slashes: uint, last-slash-height: uint, slashed-amount: uint},
    registered-at: uint, seq: uint, unbonding: uint, unbonding-release: uint, claim-until: uint,
    excluded-from: uint, exiting: bool})
    (bps uint) (reason (string-ascii 16)) (message-hash (buff 32)))
  (let (
    (stake (get stake info))
    (unbonding (get unbonding info))
    (amount (/ (* (+ stake unbonding) bps) BPS))
    (from-unbonding (min-uint amount unbonding))
    (from-stake (- amount from-unbonding))
    (history (get slashing-history info))
    (new-history {total-slashes: (+ (get total-slashes history) u1),
                  last-slash-height: stacks-block-height,
                  slashed-amount: (+ (get slashed-amount history) amount)}))
    (var-set total-stake (- (var-get total-stake) from-stake))
    (var-set total-unbonding (- (var-get total-unbonding) from-unbonding))
    (print {topic: "signer-slashed", signer: who, reason: reason, message-hash: message-hash,
            amount: amount, stake: (- stake from-stake), unbonding: (- unbonding from-unbonding)})
    (store-metrics who (merge info {stake: (- stake from-stake),
                                    unbonding: (- unbonding from-unbonding),
                                    slashing-history: new-history}))
    amount))

;; --- watchtower reports ---

;; Adds one watchtower's stored report to the sorted lists (record-report's rebuild).
(define-private (add-report (who principal) (acc {signer: principal, interval: uint,
    uptimes: (list 32 uint), speeds: (list 32 uint), accuracies: (list 32 uint)}))
  (match (map-get? watchtower-reports {watchtower: who, signer: (get signer acc), interval: (get interval acc)})
    report (merge acc {uptimes: (insert-sorted (get uptimes acc) (get uptime report)),
                       speeds: (insert-sorted (get speeds acc) (get signing-speed report)),
                       accuracies: (insert-sorted (get accuracies acc) (get accuracy report))})
    acc))

;; Records the caller's report on `signer` for the current interval and, once a supermajority
;; has reported, applies what it agrees on. Returns the signer's reputation.
(define-private (record-report (signer principal) (info {
    stake: uint, public-key: (buff 48), reputation-score: uint, last-active: uint,
    performance-metrics: {signing-speed: uint, uptime: uint, stake-duration: uint, accuracy: uint,
                          total-signatures: uint, valid-signatures: uint},
    slashing-history: {total-slashes: uint, last-slash-height: uint, slashed-amount: uint},
    registered-at: uint, seq: uint, unbonding: uint, unbonding-release: uint, claim-until: uint,
    excluded-from: uint, exiting: bool})
    (uptime uint) (signing-speed uint) (accuracy uint))
  (let (
    (tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
    (metrics (get performance-metrics info))
    (interval (get-current-interval))
    (key {signer: signer, interval: interval})
    (prior (default-to {reporters: (list), uptimes: (list), speeds: (list), accuracies: (list),
                        quorum: (get-watchtower-supermajority)}
                       (map-get? interval-reports key)))
    (inserted (asserts! (map-insert watchtower-reports {watchtower: tx-sender, signer: signer, interval: interval}
                          {uptime: uptime, signing-speed: signing-speed, accuracy: accuracy})
                        ERR-ALREADY-REPORTED))
    (staying (filter watchtower-active (get reporters prior)))
    ;; every reporter counted is active and distinct, and so is the caller: at most MAX-WATCHTOWERS
    (reporters (unwrap! (as-max-len? (append staying tx-sender) u32) ERR-WATCHTOWER-LIMIT))
    ;; all reporters still active: add this report to the sorted lists; else sort them anew
    (sorted (if (is-eq (len staying) (len (get reporters prior)))
              {uptimes: (insert-sorted (get uptimes prior) uptime),
               speeds: (insert-sorted (get speeds prior) signing-speed),
               accuracies: (insert-sorted (get accuracies prior) accuracy)}
              (fold add-report reporters {signer: signer, interval: interval,
                                          uptimes: (list), speeds: (list), accuracies: (list)})))
    (uptimes (get uptimes sorted))
    (speeds (get speeds sorted))
    (accuracies (get accuracies sorted))
    (quorum (max-uint (get quorum prior) (get-watchtower-supermajority)))
    (agreed (>= (len uptimes) quorum)))
    (map-set interval-reports key {reporters: reporters, uptimes: uptimes, speeds: speeds,
                                   accuracies: accuracies, quorum: quorum})
    (map-set watchtowers tx-sender (merge tower {last-report: burn-block-height,
                                                 reports-submitted: (+ (get reports-submitted tower) u1)}))
    (print {topic: "watchtower-report", watchtower: tx-sender, signer: signer, interval: interval,
            uptime: uptime, signing-speed: signing-speed, accuracy: accuracy,
            reports: (len uptimes), quorum: quorum, agreed: agreed})
    (ok (if agreed
      (store-metrics signer (merge info {
        performance-metrics: (merge metrics {
          uptime: (agreed-value uptimes quorum (get uptime metrics)),
          signing-speed: (agreed-value speeds quorum (get signing-speed metrics)),
          accuracy: (agreed-value accuracies quorum (get accuracy metrics))})}))
      (get reputation-score info)))))

;; --- rotation: the caller proposes the committee; one pass over the ranking checks it ---

;; a ranks before b: higher stake x reputation, ties to the earlier registration.
(define-private (outranks (a {score: uint, seq: uint}) (b {score: uint, seq: uint}))
  (or (> (get score a) (get score b))
      (and (is-eq (get score a) (get score b)) (< (get seq a) (get seq b)))))

;; `low` (if any) ranks below `high` (if any; no high: no bound).
(define-private (ranks-below (low (optional {score: uint, seq: uint})) (high (optional {score: uint, seq: uint})))
  (match low l (match high h (outranks h l) true) true))

(define-private (weaker (current (optional {score: uint, seq: uint})) (rank {score: uint, seq: uint}))
  (match current c (if (outranks c rank) (some rank) current) (some rank)))

(define-private (stronger (current (optional {score: uint, seq: uint})) (rank {score: uint, seq: uint}))
  (match current c (if (outranks rank c) (some rank) current) (some rank)))

;; A principal's position in signer-list (and ranking); NO-POSITION for none.
(define-private (position-step (who principal) (acc {names: (list 128 principal), out: (list 32 uint)}))
  (merge acc {out: (unwrap-panic (as-max-len? (append (get out acc) (default-to NO-POSITION (index-of? (get names acc) who))) u32))}))

(define-private (positions-of (who (list 32 principal)) (names (list 128 principal)))
  (get out (fold position-step who {names: names, out: (list)})))

;; One ranking entry against the proposed and the serving committee (as positions): counts
;; the eligible, the proposed, the staying, the newcomers; tracks the weakest proposed member
;; and newcomer and the strongest eligible serving member and newcomer left out.
(define-private (check-candidate
    (entry {signer: principal, stake: uint, reputation: uint, seq: uint, exiting: bool, excluded-from: uint})
    (acc {at: uint, proposed: (list 32 uint), serving: (list 32 uint), epoch: uint, min-stake: uint,
          min-reputation: uint, eligible: uint, seen: uint, staying: uint, joined: uint,
          weakest: (optional {score: uint, seq: uint}), weakest-new: (optional {score: uint, seq: uint}),
          best-out-old: (optional {score: uint, seq: uint}), best-out-new: (optional {score: uint, seq: uint}),
          out-old: uint, out-new: uint}))
  (let ((at (get at acc))
        (next (merge acc {at: (+ at u1)}))
        (rank {score: (* (get stake entry) (get reputation entry)), seq: (get seq entry)})
        (serving (is-some (index-of? (get serving acc) at))))
    (if (not (and (>= (get stake entry) (get min-stake acc)) (not (get exiting entry))
                  (>= (get reputation entry) (get min-reputation acc))
                  (not (is-eq (get excluded-from entry) (get epoch acc)))))
      next
      (let ((counted (merge next {eligible: (+ (get eligible acc) u1),
                                  staying: (if serving (+ (get staying acc) u1) (get staying acc))})))
        (if (is-some (index-of? (get proposed acc) at))
          (merge counted {
            seen: (+ (get seen acc) u1),
            joined: (if serving (get joined acc) (+ (get joined acc) u1)),
            weakest: (weaker (get weakest acc) rank),
            weakest-new: (if serving (get weakest-new acc) (weaker (get weakest-new acc) rank))})
          (if serving
            (merge counted {best-out-old: (stronger (get best-out-old acc) rank), out-old: (+ (get out-old acc) u1)})
            (merge counted {best-out-new: (stronger (get best-out-new acc) rank), out-new: (+ (get out-new acc) u1)})))))))

;; Seats the committee: share index and the bonded stake it was ranked with.
(define-private (add-member (who principal) (acc {epoch: uint, index: uint}))
  (let ((index (+ (get index acc) u1)))
    (map-set members {epoch: (get epoch acc), signer: who} index)
    (map-set seat-stakes {epoch: (get epoch acc), signer: who}
             (match (map-get? signers who) info (get stake info) u0))
    {epoch: (get epoch acc), index: index}))

;; Members of `acc.other` missing from the list folded over.
(define-private (collect-absent (who principal) (acc {other: (list 32 principal), out: (list 32 principal)}))
  (if (is-some (index-of? (get other acc) who))
    acc
    (merge acc {out: (unwrap-panic (as-max-len? (append (get out acc) who) u32))})))

;; --- cancelled epochs: members that stayed silent ---

;; A member of a cancelled epoch was silent if it owed a deal (every member of a fresh DKG;
;; in a reshare, every member of the old committee) and posted none, or owed a vote (every
;; member of the new committee) and cast none. Each silent member is liveness-penalized
;; once and may not join the next epoch.
(define-private (penalize-silent (who principal)
    (acc {epoch: uint, previous: uint, fresh: bool, skip-new: bool, slashed: uint, silent: (list 64 principal)}))
  (let ((in-new (is-member (get epoch acc) who))
        (owes-deal (if (get fresh acc) in-new (is-member (get previous acc) who)))
        (dealt (is-some (map-get? dkg-dealt {epoch: (get epoch acc), signer: who})))
        (voted (is-some (map-get? epoch-key-votes {epoch: (get epoch acc), voter: who}))))
    (if (or (and (get skip-new acc) in-new)
            (not (or (and owes-deal (not dealt)) (and in-new (not voted)))))
      acc
      (match (map-get? signers who)
        info
          (let ((metrics (get performance-metrics info))
                (amount (slash-signer who
                          (merge info {excluded-from: (+ (get epoch acc) u1),
                                       performance-metrics: (merge metrics {
                                         uptime: (- (get uptime metrics) (min-uint MISSED-UPTIME-PENALTY (get uptime metrics)))})})
                          (param "slash-liveness-bps") "silent-in-dkg" 0x)))
            (merge acc {slashed: (+ (get slashed acc) amount),
                        silent: (unwrap-panic (as-max-len? (append (get silent acc) who) u64))}))
        acc))))

;; --- governance: parameter bounds and the relations between parameters ---

;; `value` lies within the bounds of parameter `name` (false for an unknown name).
(define-private (in-bounds (name (string-ascii 32)) (value uint))
  (match (map-get? param-bounds name) bounds (and (>= value (get min bounds)) (<= value (get max bounds))) false))

(define-private (param-after (name (string-ascii 32)) (changed (string-ascii 32)) (value uint))
  (if (is-eq name changed) value (param name)))

;; The configuration with `changed` set to `value` keeps every bound and relation.
(define-private (valid-config (changed (string-ascii 32)) (value uint))
  (let ((n (param-after "total-signers" changed value))
        (t (param-after "signature-threshold" changed value))
        (required (param-after "required-signers" changed value))
        (unbonding (param-after "unbonding-period" changed value)))
    (and (in-bounds changed value)
         (<= t n) (> (* t u2) n)                                   ;; honest majority (t bounded first)
         (>= required t) (<= required n)
         (<= (param-after "max-churn" changed value) (- n t))     ;; t members always stay
         (> unbonding (param-after "voting-period" changed value)) ;; one STX votes once
         (> unbonding (param-after "claim-window" changed value))))) ;; slashable while contestable

;; An expired claim: unless half of the active watchtowers back it, each claimant is charged
;; (penalize-claimant) to the treasury. A claim that half back was blocked by a minority, not
;; made by one: nobody is charged, so a blocking minority cannot bleed the honest out.
(define-private (forfeit-bonds (claimants (list 32 principal)) (message-hash (buff 32)) (signer (optional principal)))
  (let ((backing (fold count-active claimants u0))
        (contested (and (> backing u0) (>= (* backing u2) (var-get active-watchtowers))))
        (forfeited (if contested
                     (begin (fold close-claim claimants u0) u0)
                     (fold penalize-claimant claimants u0))))
    (var-set total-bonds (- (var-get total-bonds) forfeited))
    (var-set treasury (+ (var-get treasury) forfeited))
    (print {topic: "claim-expired", message-hash: message-hash, signer: signer, claimants: claimants,
            backing: backing, active-watchtowers: (var-get active-watchtowers), contested: contested,
            forfeited: forfeited})
    forfeited))

;; --- fees ---

(define-private (pay-fee-share (who principal) (acc {message-hash: (buff 32), share: uint, paid: uint}))
  (match (map-get? partial-signatures {message-hash: (get message-hash acc), signer: who})
    partial
      (if (get invalid partial)
        acc
        (begin
          (credit-reward who (get share acc))
          (merge acc {paid: (+ (get paid acc) (get share acc))})))
    acc))

;; --- watchtowers ---

(define-private (insert-sorted-step (item uint) (acc {value: uint, placed: bool, out: (list 33 uint)}))
  (if (and (not (get placed acc)) (< (get value acc) item))
    (merge acc {placed: true,
                out: (unwrap-panic (as-max-len? (append (unwrap-panic (as-max-len? (append (get out acc) (get value acc)) u32)) item) u33))})
    (merge acc {out: (unwrap-panic (as-max-len? (append (get out acc) item) u33))})))

;; Inserts into a sorted list of at most MAX-WATCHTOWERS - 1 values (one report each).
(define-private (insert-sorted (values (list 32 uint)) (value uint))
  (let ((step (fold insert-sorted-step values {value: value, placed: false, out: (list)})))
    (unwrap-panic (as-max-len?
      (if (get placed step) (get out step) (unwrap-panic (as-max-len? (append (get out step) value) u33)))
      u32))))

(define-private (watchtower-active (who principal))
  (match (map-get? watchtowers who) tower (get is-active tower) false))

(define-private (count-active (who principal) (n uint)) (if (watchtower-active who) (+ n u1) n))

;; A metric moves only as far as a supermajority of reports agrees: down to the q-th smallest
;; report (lo) if above it, up to the q-th largest (hi) if below it. A minority of liars can
;; neither move it past every honest report nor move it alone.
(define-private (agreed-value (values (list 32 uint)) (quorum uint) (current uint))
  (let ((lo (default-to current (element-at? values (- quorum u1))))
        (hi (default-to current (element-at? values (- (len values) quorum)))))
    (if (> current lo) lo (if (< current hi) hi current))))

(define-private (deactivate-watchtower (who principal) (tower {last-report: uint, reports-submitted: uint,
    accuracy-score: uint, is-active: bool, bond: uint, registered-at: uint, release-at: uint, open-claims: uint}))
  (begin
    (var-set active-watchtowers (- (var-get active-watchtowers) u1))
    (merge tower {is-active: false, release-at: (+ burn-block-height (param "unbonding-period"))})))

;; A confirmed claim against a partial: a share of the slash and accuracy-score.
(define-private (reward-confirmer (who principal) (acc {share: uint, paid: uint}))
  (begin
    (credit-reward who (get share acc))
    (match (map-get? watchtowers who)
      tower (let ((score (min-uint PERCENT (+ (get accuracy-score tower) WATCHTOWER-CONFIRM-BONUS))))
              (map-set watchtowers who (merge tower {accuracy-score: score,
                                                     open-claims: (- (get open-claims tower) (min-uint u1 (get open-claims tower)))}))
              (print {topic: "watchtower-accuracy", watchtower: who, accuracy-score: score,
                      bond: (get bond tower), is-active: (get is-active tower)})
              true)
      false)
    (merge acc {paid: (+ (get paid acc) (get share acc))})))

;; A claim that was decided (an aggregate rejected or dropped) closes for each claimant.
(define-private (close-claim (who principal) (closed uint))
  (match (map-get? watchtowers who)
    tower (begin
            (map-set watchtowers who (merge tower {open-claims: (- (get open-claims tower) (min-uint u1 (get open-claims tower)))}))
            (+ closed u1))
    closed))

;; Opens a claim for the caller: its bond cannot leave until the claim is decided or expired.
(define-private (open-claim)
  (match (map-get? watchtowers tx-sender)
    tower (map-set watchtowers tx-sender (merge tower {open-claims: (+ (get open-claims tower) u1)}))
    false))

;; A charged claimant forfeits false-claim-bps of its bond (added to the sum) and accuracy;
;; below the accuracy floor or half the bond it is deactivated and its slot freed.
(define-private (penalize-claimant (who principal) (forfeited uint))
  (match (map-get? watchtowers who)
    tower
      (let (
        (forfeit (/ (* (get bond tower) (param "false-claim-bps")) BPS))
        (bond (- (get bond tower) forfeit))
        (score (- (get accuracy-score tower) (min-uint (get accuracy-score tower) WATCHTOWER-EXPIRY-PENALTY)))
        (deactivate (and (get is-active tower)
                         (or (< score WATCHTOWER-MIN-ACCURACY) (< (* bond u2) (param "watchtower-bond")))))
        (charged (merge tower {bond: bond, accuracy-score: score,
                               open-claims: (- (get open-claims tower) (min-uint u1 (get open-claims tower)))}))
        (updated (if deactivate (deactivate-watchtower who charged) charged)))
        (map-set watchtowers who updated)
        (print {topic: (if deactivate "watchtower-deactivated" "watchtower-accuracy"), watchtower: who,
                accuracy-score: score, bond: bond, forfeited: forfeit, is-active: (get is-active updated)})
        (+ forfeited forfeit))
    forfeited))

;; ===== Read-only functions =====

(define-read-only (get-config)
  {
    initialized: (var-get initialized),
    paused: (var-get paused),
    guardian: (var-get guardian),
    min-stake: (param "min-stake"),
    required-signers: (param "required-signers"),
    total-signers: (param "total-signers"),
    rotation-period: (param "rotation-period"),
    signature-threshold: (param "signature-threshold"),
    signing-timeout: (param "signing-timeout"),
    unbonding-period: (param "unbonding-period"),
    watchtower-bond: (param "watchtower-bond"),
    watchtower-quorum: (param "watchtower-quorum"),
    slash-invalid-bps: (param "slash-invalid-bps"),
    slash-liveness-bps: (param "slash-liveness-bps"),
    notifier-reward-bps: (param "notifier-reward-bps"),
    min-reputation: (param "min-reputation"),
    min-fee: (param "min-fee"),
    voting-period: (param "voting-period"),
    quorum-bps: (param "quorum-bps"),
    claim-window: (param "claim-window"),
    report-interval: (param "report-interval"),
    max-churn: (param "max-churn"),
    false-claim-bps: (param "false-claim-bps"),
    dkg-timeout: (param "dkg-timeout")
  })

(define-read-only (get-signer-info (signer principal))
  (match (map-get? signers signer)
    info
      (some (merge info {
        status: (signer-status signer (get exiting info)),
        performance-metrics: (merge (get performance-metrics info)
                                    {stake-duration: (- stacks-block-height (get registered-at info))})}))
    none))

(define-read-only (get-reputation (signer principal))
  (match (map-get? signers signer) info (ok (get reputation-score info)) ERR-NOT-REGISTERED))

(define-read-only (get-signer-by-key (public-key (buff 48)))
  (map-get? signer-keys public-key))

(define-read-only (get-signers) (var-get signer-list))

;; Every registered signer with what ranking and eligibility read, in registration order:
;; the input an off-chain proposer needs for rotate-signers.
(define-read-only (get-ranking) (var-get ranking))

(define-read-only (get-seat-stake (epoch uint) (signer principal))
  (map-get? seat-stakes {epoch: epoch, signer: signer}))

(define-read-only (get-proposal (proposal-id uint)) (map-get? proposals proposal-id))

(define-read-only (get-proposal-vote (proposal-id uint) (voter principal))
  (map-get? proposal-votes {proposal-id: proposal-id, voter: voter}))

(define-read-only (get-proposal-count) (var-get proposal-count))

(define-read-only (get-epoch (epoch uint)) (map-get? epochs epoch))

(define-read-only (get-current-epoch) (var-get current-epoch))

(define-read-only (get-network-state)
  {current-epoch: (var-get current-epoch), latest-epoch: (var-get latest-epoch),
   last-rotation: (var-get last-rotation), signer-count: (len (var-get signer-list)),
   active-watchtowers: (var-get active-watchtowers), paused: (var-get paused),
   initialized: (var-get initialized), block-height: stacks-block-height,
   burn-block-height: burn-block-height, stacks-now: (stacks-now), burn-now: (burn-now)})

;; The clocks deadlines and windows are measured on: heights less the blocks spent paused.
;; A request's deadline is on stacks-now; claim windows, report intervals and rotations on
;; burn-now.
(define-read-only (get-clock)
  {stacks-now: (stacks-now), burn-now: (burn-now), paused: (var-get paused),
   paused-blocks: (var-get paused-blocks)})

(define-read-only (get-member-index (epoch uint) (signer principal))
  (map-get? members {epoch: epoch, signer: signer}))

(define-read-only (get-epoch-key-votes (epoch uint) (result (buff 32)))
  (default-to u0 (map-get? epoch-key-tally {epoch: epoch, result: result})))

(define-read-only (get-request (message-hash (buff 32))) (map-get? requests message-hash))

(define-read-only (get-partial-signature (message-hash (buff 32)) (signer principal))
  (map-get? partial-signatures {message-hash: message-hash, signer: signer}))

(define-read-only (get-watchtower (watchtower principal)) (map-get? watchtowers watchtower))

;; Distinct active watchtowers any watchtower decision needs: a supermajority of the active
;; ones, never fewer than watchtower-quorum.
(define-read-only (get-watchtower-supermajority)
  (let ((active (var-get active-watchtowers)))
    (max-uint (param "watchtower-quorum") (/ (+ (* active u2) u2) u3))))

(define-read-only (get-watchtower-report (watchtower principal) (signer principal) (interval uint))
  (map-get? watchtower-reports {watchtower: watchtower, signer: signer, interval: interval}))

(define-read-only (get-interval-reports (signer principal) (interval uint))
  (map-get? interval-reports {signer: signer, interval: interval}))

(define-read-only (get-current-interval)
  (/ (burn-now) (max-uint u1 (param "report-interval"))))

(define-read-only (get-claim (message-hash (buff 32)) (signer principal))
  (map-get? claims {message-hash: message-hash, signer: signer}))

(define-read-only (get-aggregate-claim (message-hash (buff 32)) (aggregate (buff 96)))
  (map-get? aggregate-claims {message-hash: message-hash, aggregate: aggregate}))

(define-read-only (get-liveness-penalty (message-hash (buff 32)) (signer principal))
  (map-get? liveness-penalties {message-hash: message-hash, signer: signer}))

(define-read-only (get-rewards (who principal)) (default-to u0 (map-get? rewards who)))

(define-read-only (get-treasury) (var-get treasury))

;; Every micro-STX the contract holds, by purpose; `total` always equals `balance`.
(define-read-only (get-accounting)
  (let ((total (+ (var-get total-stake) (var-get total-unbonding) (var-get total-bonds)
                  (var-get total-pending-fees) (var-get total-rewards) (var-get treasury))))
    {stakes: (var-get total-stake), unbonding: (var-get total-unbonding),
     bonds: (var-get total-bonds), pending-fees: (var-get total-pending-fees),
     rewards: (var-get total-rewards), treasury: (var-get treasury),
     total: total, balance: (stx-get-balance current-contract)}))

;; ===== Public: initialization =====

(define-public (initialize (min-stake uint) (required-signers uint) (total-signers uint)
                           (rotation-period uint) (signature-threshold uint))
  (begin
    ;; contract-caller, not tx-sender: no contract the deployer calls can act in its name
    (asserts! (is-eq contract-caller CONTRACT-OWNER) ERR-UNAUTHORIZED)
    (asserts! (not (var-get initialized)) ERR-ALREADY-INITIALIZED)
    ;; the bounds governance keeps (param-bounds) hold from the start
    (asserts! (and (in-bounds "min-stake" min-stake) (in-bounds "rotation-period" rotation-period)) ERR-INVALID-PARAMS)
    (asserts! (and (>= total-signers u1) (<= total-signers MAX-COMMITTEE)) ERR-INVALID-PARAMS)
    ;; honest majority: n/2 < t <= n (t <= n first: it bounds t before it is doubled)
    (asserts! (and (<= signature-threshold total-signers) (> (* signature-threshold u2) total-signers))
              ERR-INVALID-THRESHOLD)
    (asserts! (and (>= required-signers signature-threshold) (<= required-signers total-signers))
              ERR-INVALID-PARAMS)
    (map-set params "min-stake" min-stake)
    (map-set params "required-signers" required-signers)
    (map-set params "total-signers" total-signers)
    (map-set params "rotation-period" rotation-period)
    (map-set params "signature-threshold" signature-threshold)
    (map-set params "signing-timeout" DEFAULT-SIGNING-TIMEOUT)
    (map-set params "unbonding-period" DEFAULT-UNBONDING-PERIOD)
    (map-set params "watchtower-bond" DEFAULT-WATCHTOWER-BOND)
    (map-set params "watchtower-quorum" DEFAULT-WATCHTOWER-QUORUM)
    (map-set params "slash-invalid-bps" DEFAULT-SLASH-INVALID-BPS)
    (map-set params "slash-liveness-bps" DEFAULT-SLASH-LIVENESS-BPS)
    (map-set params "notifier-reward-bps" DEFAULT-NOTIFIER-REWARD-BPS)
    (map-set params "min-reputation" DEFAULT-MIN-REPUTATION)
    (map-set params "min-fee" DEFAULT-MIN-FEE)
    (map-set params "voting-period" DEFAULT-VOTING-PERIOD)
    (map-set params "quorum-bps" DEFAULT-QUORUM-BPS)
    (map-set params "claim-window" DEFAULT-CLAIM-WINDOW)
    (map-set params "report-interval" DEFAULT-REPORT-INTERVAL)
    ;; at most n - t seats change per rotation: t members of the old committee always stay
    (map-set params "max-churn" (- total-signers signature-threshold))
    (map-set params "false-claim-bps" DEFAULT-FALSE-CLAIM-BPS)
    (map-set params "dkg-timeout" DEFAULT-DKG-TIMEOUT)
    (var-set initialized true)
    (print (merge (get-config) {topic: "initialized"}))
    (ok true)))

;; ===== Public: signers and stake =====

(define-public (register-signer (public-key (buff 48)))
  (let ((min-stake (param "min-stake")) (seq (+ (var-get signer-seq) u1)))
    (try! (check-active))
    (try! (check-g1 public-key))
    (asserts! (is-none (map-get? signers tx-sender)) ERR-ALREADY-REGISTERED)
    (asserts! (map-insert signer-keys public-key tx-sender) ERR-KEY-IN-USE)
    (var-set signer-list (unwrap! (as-max-len? (append (var-get signer-list) tx-sender) u128) ERR-SIGNER-LIMIT))
    (try! (transfer-in min-stake ERR-INSUFFICIENT-STAKE))
    (save-signer tx-sender {
      stake: min-stake,
      public-key: public-key,
      reputation-score: NEUTRAL-REPUTATION,
      last-active: stacks-block-height,
      performance-metrics: {signing-speed: u0, uptime: PERCENT, stake-duration: u0, accuracy: PERCENT,
                            total-signatures: u0, valid-signatures: u0},
      slashing-history: {total-slashes: u0, last-slash-height: u0, slashed-amount: u0},
      registered-at: stacks-block-height,
      seq: seq,
      unbonding: u0,
      unbonding-release: u0,
      claim-until: u0,
      excluded-from: u0,
      exiting: false
    })
    (var-set signer-seq seq)
    (var-set total-stake (+ (var-get total-stake) min-stake))
    (print {topic: "signer-registered", signer: tx-sender, public-key: public-key, stake: min-stake,
            reputation-score: NEUTRAL-REPUTATION, seq: seq})
    (ok true)))

(define-public (increase-stake (amount uint))
  (let ((active (try! (check-active)))
        (info (unwrap! (map-get? signers tx-sender) ERR-NOT-REGISTERED)))
    (asserts! (> amount u0) ERR-INVALID-AMOUNT)
    (try! (transfer-in amount ERR-INSUFFICIENT-STAKE))
    ;; the amount moved, so it is below the STX supply: the sum cannot overflow
    (let ((stake (+ (get stake info) amount)))
    (save-signer tx-sender (merge info {stake: stake, exiting: (and (get exiting info) (< stake (param "min-stake")))}))
    (var-set total-stake (+ (var-get total-stake) amount))
    (print {topic: "stake-increased", signer: tx-sender, amount: amount, stake: stake})
    (ok stake))))

;; Moves `amount` of bonded stake into unbonding; it stays slashable until withdrawn.
;; Dropping below min-stake marks the signer exiting (no longer eligible for committees). A
;; member of the serving or forming committee keeps the stake it was ranked with bonded.
(define-public (request-unstake (amount uint))
  (let ((info (unwrap! (map-get? signers tx-sender) ERR-NOT-REGISTERED))
        (remaining (- (get stake info) (min-uint amount (get stake info))))
        (below-min (< remaining (param "min-stake")))
        (release (+ burn-block-height (param "unbonding-period"))))
    (asserts! (and (> amount u0) (<= amount (get stake info))) ERR-INVALID-AMOUNT)
    (asserts! (>= remaining (locked-stake tx-sender)) ERR-STAKE-LOCKED)
    (save-signer tx-sender (merge info {
      stake: remaining,
      unbonding: (+ (get unbonding info) amount),
      unbonding-release: release,
      exiting: (or (get exiting info) below-min)}))
    (var-set total-stake (- (var-get total-stake) amount))
    (var-set total-unbonding (+ (var-get total-unbonding) amount))
    (print {topic: "unstake-requested", signer: tx-sender, amount: amount, stake: remaining,
            unbonding: (+ (get unbonding info) amount), release-height: release,
            exiting: (or (get exiting info) below-min)})
    (ok release)))

;; Never blocked by pause. Unbonded stake leaves after unbonding-period Bitcoin blocks and
;; once none of the signer's partials can be contested. A signer with nothing bonded leaves
;; the registry, but never while it sits on the serving or the forming committee.
(define-public (withdraw-stake)
  (let ((info (unwrap! (map-get? signers tx-sender) ERR-NOT-REGISTERED))
        (amount (get unbonding info))
        (who tx-sender)
        (exited (is-eq (get stake info) u0)))
    (asserts! (> amount u0) ERR-NOTHING-TO-WITHDRAW)
    (asserts! (>= burn-block-height (get unbonding-release info)) ERR-STAKE-LOCKED)
    (asserts! (> (burn-now) (get claim-until info)) ERR-STAKE-LOCKED)
    (asserts! (not (and (stake-locked who) (< (get stake info) (param "min-stake")))) ERR-STAKE-LOCKED)
    (try! (transfer-out amount who))
    (var-set total-unbonding (- (var-get total-unbonding) amount))
    (if exited
      (remove-signer who (get public-key info))
      (save-signer who (merge info {unbonding: u0, unbonding-release: u0})))
    (print {topic: "stake-withdrawn", signer: who, amount: amount, stake: (get stake info), exited: exited})
    (ok amount)))

;; An active watchtower's measurement (the seed's call): that watchtower's report for the
;; interval, taking effect as submit-watchtower-report does. Nobody else may call it.
(define-public (update-metrics (signer principal) (signing-speed uint) (uptime uint) (accuracy uint))
  (begin
    (try! (check-active))
    (asserts! (watchtower-active tx-sender) ERR-UNAUTHORIZED)
    (asserts! (not (is-eq tx-sender signer)) ERR-UNAUTHORIZED)
    (asserts! (and (<= signing-speed MAX-SIGNING-SPEED) (<= uptime PERCENT) (<= accuracy PERCENT))
              ERR-INVALID-METRICS)
    (record-report signer (unwrap! (map-get? signers signer) ERR-NOT-REGISTERED) uptime signing-speed accuracy)))

(define-public (claim-rewards)
  (let ((amount (get-rewards tx-sender)) (who tx-sender))
    (asserts! (> amount u0) ERR-NOTHING-TO-WITHDRAW)
    (try! (transfer-out amount who))
    (map-delete rewards who)
    (var-set total-rewards (- (var-get total-rewards) amount))
    (print {topic: "rewards-claimed", recipient: who, amount: amount})
    (ok amount)))

;; ===== Public: epochs and keys =====

;; Forms the next committee: the top total-signers eligible signers (stake >= min-stake, not
;; exiting, reputation >= min-reputation, not silent in the cancelled epoch just before) by
;; stake x reputation, ties to the earlier registration, changing at most max-churn seats of
;; the serving committee (lifted only when fewer than t of it are eligible). The caller
;; proposes it (seat = share index; get-ranking has the inputs); one pass over the ranking
;; checks that it is exactly the committee these rules give. Due once required-signers are
;; eligible, then every rotation-period Bitcoin blocks, or at once after a cancelled epoch.
(define-public (rotate-signers (committee (list 32 principal)))
  (let (
    (active (try! (check-active)))
    (previous (var-get current-epoch))
    (latest (map-get? epochs (var-get latest-epoch)))
    (epoch (+ (var-get latest-epoch) u1))
    (size (param "total-signers"))
    (threshold (param "signature-threshold"))
    (serving (match (map-get? epochs previous) old (get committee old) (list)))
    (names (var-get signer-list))
    (pass (fold check-candidate (var-get ranking)
            {at: u0, proposed: (positions-of committee names), serving: (positions-of serving names), epoch: epoch,
             min-stake: (param "min-stake"), min-reputation: (param "min-reputation"), eligible: u0, seen: u0,
             staying: u0, joined: u0, weakest: none, weakest-new: none, best-out-old: none, best-out-new: none,
             out-old: u0, out-new: u0}))
    (limit (if (< (get staying pass) threshold) size (param "max-churn")))
    (changes-left (< (get joined pass) limit)))
    ;; a forming epoch must activate or be cancelled first: replacing it would spare its
    ;; silent members the penalty and the exclusion that cancel-epoch gives them
    (asserts! (match latest
                info (or (is-eq (get status info) "cancelled")
                         (and (not (is-eq (get status info) "pending"))
                              (>= (burn-now) (+ (var-get last-rotation) (param "rotation-period")))))
                true)
              ERR-ROTATION-NOT-DUE)
    (asserts! (>= (get eligible pass) (param "required-signers")) ERR-INSUFFICIENT-SIGNERS)
    (asserts! (and (is-eq (get seen pass) (len committee)) (<= (len committee) size) (<= (get joined pass) limit)
                   (ranks-below (get best-out-old pass) (get weakest pass))
                   (ranks-below (get best-out-new pass) (get weakest-new pass))
                   (or (not changes-left) (ranks-below (get best-out-new pass) (get weakest pass)))
                   (or (is-eq (len committee) size)
                       (and (is-eq (get out-old pass) u0) (or (not changes-left) (is-eq (get out-new pass) u0)))))
              ERR-INVALID-COMMITTEE)
    (fold add-member committee {epoch: epoch, index: u0})
    (map-set epochs epoch {
      committee: committee,
      threshold: threshold,
      previous: previous,
      group-public-key: none,
      share-public-keys: (list),
      status: "pending",
      created-at: stacks-block-height,
      formed-at: (burn-now),
      activated-at: u0})
    (var-set latest-epoch epoch)
    (var-set last-rotation (burn-now))
    (print {topic: "committee-rotated", epoch: epoch, previous: previous, committee: committee,
            threshold: threshold, churn-limit: limit,
            joined: (get out (fold collect-absent committee {other: serving, out: (list)})),
            left: (get out (fold collect-absent serving {other: committee, out: (list)}))})
    (ok epoch)))

;; Anyone, once a forming epoch has had no key for dkg-timeout Bitcoin blocks: it is
;; cancelled (the serving one signs on; the next rotation is due at once), its silent members
;; are penalized once and left out of the next epoch, the caller earns notifier-reward-bps.
(define-public (cancel-epoch (epoch uint))
  (let (
    (active (try! (check-active)))
    (info (unwrap! (map-get? epochs epoch) ERR-UNKNOWN-EPOCH))
    (previous (get previous info)))
    (asserts! (and (is-eq epoch (var-get latest-epoch)) (is-eq (get status info) "pending")) ERR-EPOCH-CLOSED)
    (asserts! (> (burn-now) (+ (get formed-at info) (param "dkg-timeout"))) ERR-DEADLINE-NOT-REACHED)
    (map-set epochs epoch (merge info {status: "cancelled"}))
    (let (
      (start {epoch: epoch, previous: previous, fresh: (is-eq previous u0), skip-new: false, slashed: u0, silent: (list)})
      (new-side (fold penalize-silent (get committee info) start))
      (old-side (fold penalize-silent (match (map-get? epochs previous) old (get committee old) (list))
                      (merge new-side {skip-new: true})))
      (slashed (get slashed old-side))
      (reward (/ (* slashed (param "notifier-reward-bps")) BPS)))
      (credit-reward tx-sender reward)
      (var-set treasury (+ (var-get treasury) (- slashed reward)))
      (print {topic: "epoch-cancelled", epoch: epoch, previous: previous, silent: (get silent old-side),
              slashed: slashed, reward: reward, notifier: tx-sender})
      (ok (get silent old-side)))))

;; The DKG's broadcast channel: printed, not stored. Members of the forming committee and,
;; for a reshare, of the committee it reshares from.
(define-public (post-dkg-message (epoch uint) (phase uint) (payload (buff 4096)))
  (let ((active (try! (check-active)))
        (info (unwrap! (map-get? epochs epoch) ERR-UNKNOWN-EPOCH))
        (index (default-to u0 (map-get? members {epoch: epoch, signer: tx-sender})))
        (old-index (default-to u0 (map-get? members {epoch: (get previous info), signer: tx-sender}))))
    (asserts! (or (> index u0) (> old-index u0)) ERR-NOT-ACTIVE-SIGNER)
    (asserts! (> (len payload) u0) ERR-INVALID-PARAMS)
    (asserts! (and (is-eq epoch (var-get latest-epoch)) (is-eq (get status info) "pending")) ERR-EPOCH-CLOSED)
    ;; phase 1 carries the deals: a member that posted one is not silent if the epoch is cancelled
    (if (is-eq phase u1) (map-set dkg-dealt {epoch: epoch, signer: tx-sender} true) true)
    (print {topic: "dkg-message", epoch: epoch, phase: phase, sender: tx-sender, index: index,
            old-index: old-index, payload: payload})
    (ok true)))

;; A committee member's vote for the DKG result. t identical votes activate the epoch; a
;; reshared key must equal the key of the epoch it reshares from.
(define-public (submit-epoch-key (epoch uint) (group-public-key (buff 48))
                                 (share-public-keys (list 32 (buff 48))))
  (let (
    (active (try! (check-active)))
    (info (unwrap! (map-get? epochs epoch) ERR-UNKNOWN-EPOCH))
    (result (sha256 (unwrap-panic (to-consensus-buff? {group: group-public-key, shares: share-public-keys}))))
    (votes (+ (default-to u0 (map-get? epoch-key-tally {epoch: epoch, result: result})) u1))
    (activates (>= votes (get threshold info))))
    (asserts! (is-member epoch tx-sender) ERR-NOT-ACTIVE-SIGNER)
    (try! (check-g1 group-public-key))
    (asserts! (is-eq (len share-public-keys) (len (get committee info))) ERR-INVALID-PARAMS)
    (try! (fold check-g1-fold share-public-keys (ok true)))
    (asserts! (and (is-eq epoch (var-get latest-epoch)) (is-eq (get status info) "pending")) ERR-EPOCH-CLOSED)
    (match (map-get? epochs (get previous info))
      old (asserts! (is-eq (get group-public-key old) (some group-public-key)) ERR-KEY-MISMATCH)
      true)
    (asserts! (map-insert epoch-key-votes {epoch: epoch, voter: tx-sender} result) ERR-ALREADY-VOTED)
    (map-set epoch-key-tally {epoch: epoch, result: result} votes)
    (print {topic: "epoch-key-vote", epoch: epoch, voter: tx-sender, result: result, votes: votes,
            threshold: (get threshold info)})
    (if activates
      (begin
        (map-set epochs epoch (merge info {group-public-key: (some group-public-key),
                                           share-public-keys: share-public-keys,
                                           status: "active",
                                           activated-at: stacks-block-height}))
        (var-set current-epoch epoch)
        (print {topic: "epoch-activated", epoch: epoch, previous: (get previous info),
                group-public-key: group-public-key, share-public-keys: share-public-keys,
                committee: (get committee info), threshold: (get threshold info)})
        true)
      true)
    (ok activates)))

;; ===== Public: signing =====

;; One request per hash at a time. A hash whose request expired under t partials may be
;; requested again once none of its partials can be contested (an unreclaimed fee goes to
;; its requester's rewards): nobody can kill a hash by letting it expire.
(define-public (request-signature (message-hash (buff 32)) (fee uint))
  (let ((epoch (var-get current-epoch))
        (deadline (+ (stacks-now) (param "signing-timeout")))
        (prior (map-get? requests message-hash))
        (attempt (match prior old (+ (get attempt old) u1) u1))
        ;; expired under t partials and never refunded: its fee goes to its requester's rewards
        (lapsed (match prior old
                  (and (not (get refunded old)) (is-none (get aggregate-signature old))
                       (> (stacks-now) (get deadline old))
                       (< (get partial-count old) (get threshold (unwrap-panic (map-get? epochs (get epoch old))))))
                  false)))
    (try! (check-active))
    (asserts! (is-eq (len message-hash) HASH-LEN) ERR-INVALID-PARAMS)
    (asserts! (>= fee (param "min-fee")) ERR-FEE-TOO-LOW)
    (asserts! (> epoch u0) ERR-NO-ACTIVE-KEY)
    (asserts! (match prior old (and (or (get refunded old) lapsed) (> (burn-now) (get contest-until old))) true)
              ERR-REQUEST-EXISTS)
    (if lapsed
      (let ((old (unwrap-panic prior)))
        (var-set total-pending-fees (- (var-get total-pending-fees) (get fee old)))
        (credit-reward (get requester old) (get fee old))
        (print {topic: "fee-refunded", message-hash: message-hash, requester: (get requester old),
                fee: (get fee old), to-rewards: true})
        true)
      true)
    (map-set requests message-hash {
      requester: tx-sender, fee: fee, epoch: epoch, created-at: (stacks-now),
      deadline: deadline, partial-count: u0, signers: (list),
      aggregate-signature: none, aggregator: none, finalized-at: u0, settle-at: u0, closed-early: false,
      fee-paid: false, refunded: false, attempt: attempt, contest-until: u0})
    (try! (transfer-in fee ERR-INSUFFICIENT-FUNDS))
    (var-set total-pending-fees (+ (var-get total-pending-fees) fee))
    (print {topic: "signature-requested", message-hash: message-hash, requester: tx-sender, fee: fee,
            epoch: epoch, deadline: deadline, attempt: attempt,
            group-public-key: (get group-public-key (unwrap-panic (map-get? epochs epoch)))})
    (ok deadline)))

(define-public (submit-partial-signature (message-hash (buff 32)) (signature (buff 96)))
  (let (
    (active (try! (check-active)))
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (index (unwrap! (map-get? members {epoch: (get epoch request), signer: tx-sender}) ERR-NOT-ACTIVE-SIGNER))
    (info (unwrap! (map-get? signers tx-sender) ERR-NOT-ACTIVE-SIGNER))
    (metrics (get performance-metrics info))
    (now (stacks-now))
    (elapsed (- now (get created-at request)))
    (claim-until (+ (burn-now) (param "claim-window")))
    (total (+ (get total-signatures metrics) u1))
    (valid (+ (get valid-signatures metrics) u1))
    (key {message-hash: message-hash, signer: tx-sender}))
    (try! (check-g2 signature))
    (asserts! (is-none (get aggregate-signature request)) ERR-ALREADY-FINALIZED)
    (asserts! (<= now (get deadline request)) ERR-REQUEST-EXPIRED)
    ;; one partial per member per attempt
    (asserts! (match (map-get? partial-signatures key) old (< (get attempt old) (get attempt request)) true)
              ERR-ALREADY-SIGNED)
    (map-set partial-signatures key
      {signature: signature, message-hash: message-hash, timestamp: now, index: index,
       claim-until: claim-until, invalid: false, attempt: (get attempt request)})
    (map-set requests message-hash (merge request {
      contest-until: (max-uint (get contest-until request) claim-until),
      partial-count: (+ (get partial-count request) u1),
      signers: (unwrap-panic (as-max-len? (append (get signers request) tx-sender) u32))}))
    (store-metrics tx-sender (merge info {
      last-active: stacks-block-height,
      ;; the latest of its partials' windows: a shorter claim-window later never shortens it
      claim-until: (max-uint (get claim-until info) claim-until),
      performance-metrics: (merge metrics {
        signing-speed: (if (is-eq (get total-signatures metrics) u0)
                         elapsed
                         (/ (+ (* (get signing-speed metrics) u3) elapsed) u4)),
        total-signatures: total,
        valid-signatures: valid,
        accuracy: (accuracy-of valid total)})}))
    (print {topic: "partial-signature", message-hash: message-hash, signer: tx-sender, index: index,
            signature: signature, epoch: (get epoch request),
            partial-count: (+ (get partial-count request) u1)})
    (ok (+ (get partial-count request) u1))))

;; Anyone, once t partials not confirmed invalid are in. Until settle-at a watchtower
;; supermajority may reject an invalid one (report-invalid-aggregate) so that a valid one can
;; take its place; the fee is paid after that (settle-fee). Returns settle-at.
(define-public (submit-aggregate-signature (message-hash (buff 32)) (signature (buff 96)))
  (let (
    (active (try! (check-active)))
    (shape (try! (check-g2 signature))) ;; argument shapes before state
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (epoch (unwrap-panic (map-get? epochs (get epoch request))))
    ;; never before the last partial's claim window has closed (claim-window may have shrunk)
    (settle-at (max-uint (+ (burn-now) (param "claim-window")) (get contest-until request)))
    (closed-early (or (get closed-early request) (<= (stacks-now) (get deadline request)))))
    (asserts! (and (is-none (get aggregate-signature request)) (not (get refunded request))) ERR-ALREADY-FINALIZED)
    (asserts! (>= (get partial-count request) (get threshold epoch)) ERR-THRESHOLD-NOT-MET)
    (map-set requests message-hash (merge request {aggregate-signature: (some signature),
                                                   aggregator: (some tx-sender),
                                                   finalized-at: stacks-block-height,
                                                   settle-at: settle-at,
                                                   closed-early: closed-early}))
    (print {topic: "signature-finalized", message-hash: message-hash, signature: signature,
            epoch: (get epoch request), group-public-key: (get group-public-key epoch),
            aggregator: tx-sender, fee: (get fee request), settle-at: settle-at,
            partial-count: (get partial-count request), signers: (get signers request)})
    (ok settle-at)))

;; Anyone, once the standing aggregate can no longer be rejected (after settle-at): the fee
;; is split equally among the members whose partials were never confirmed invalid; the
;; remainder of the division goes to the treasury. Once per request.
(define-public (settle-fee (message-hash (buff 32)))
  (let (
    (active (try! (check-active)))
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (fee (get fee request))
    (count (get partial-count request))
    (share (if (> count u0) (/ fee count) u0)))
    (asserts! (is-some (get aggregate-signature request)) ERR-NOT-FINALIZED)
    (asserts! (not (get fee-paid request)) ERR-FEE-SETTLED)
    (asserts! (> (burn-now) (get settle-at request)) ERR-DEADLINE-NOT-REACHED)
    (let ((paid (get paid (fold pay-fee-share (get signers request) {message-hash: message-hash, share: share, paid: u0}))))
      (var-set total-pending-fees (- (var-get total-pending-fees) fee))
      (var-set treasury (+ (var-get treasury) (- fee paid)))
      (map-set requests message-hash (merge request {fee-paid: true}))
      (print {topic: "fee-settled", message-hash: message-hash, fee: fee, fee-share: share, fees-paid: paid,
              to-treasury: (- fee paid), signers: (get signers request)})
      (ok paid))))

;; A request that expired under t partials returns its fee to the requester; with t partials
;; in, the fee is the committee's. Never blocked by pause (the deadline clock is).
(define-public (reclaim-fee (message-hash (buff 32)))
  (let ((request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
        (requester (get requester request))
        (fee (get fee request))
        (threshold (get threshold (unwrap-panic (map-get? epochs (get epoch request))))))
    (asserts! (is-eq tx-sender requester) ERR-UNAUTHORIZED)
    (asserts! (not (or (is-some (get aggregate-signature request)) (get refunded request) (get fee-paid request)))
              ERR-ALREADY-FINALIZED)
    (asserts! (> (stacks-now) (get deadline request)) ERR-DEADLINE-NOT-REACHED)
    (asserts! (< (get partial-count request) threshold) ERR-FEE-EARNED)
    (try! (transfer-out fee requester))
    (var-set total-pending-fees (- (var-get total-pending-fees) fee))
    (map-set requests message-hash (merge request {refunded: true}))
    (print {topic: "fee-refunded", message-hash: message-hash, requester: requester, fee: fee})
    (ok fee)))

;; ===== Public: watchtowers and slashing =====

(define-public (register-watchtower)
  (let ((bond (param "watchtower-bond")))
    (try! (check-active))
    (asserts! (is-none (map-get? watchtowers tx-sender)) ERR-WATCHTOWER-EXISTS)
    (asserts! (< (var-get active-watchtowers) MAX-WATCHTOWERS) ERR-WATCHTOWER-LIMIT)
    (try! (transfer-in bond ERR-INSUFFICIENT-FUNDS))
    (map-set watchtowers tx-sender {last-report: u0, reports-submitted: u0,
                                    accuracy-score: WATCHTOWER-START-ACCURACY, is-active: true,
                                    bond: bond, registered-at: burn-block-height, release-at: u0, open-claims: u0})
    (var-set active-watchtowers (+ (var-get active-watchtowers) u1))
    (var-set total-bonds (+ (var-get total-bonds) bond))
    (print {topic: "watchtower-registered", watchtower: tx-sender, bond: bond})
    (ok true)))

;; Stops reporting and frees the slot at once; the bond waits out the unbonding period (in
;; Bitcoin blocks), still answering for claims that expire meanwhile.
(define-public (leave-watchtower)
  (let ((tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
        (checked (asserts! (get is-active tower) ERR-NOT-WATCHTOWER))
        (left (deactivate-watchtower tx-sender tower)))
    (map-set watchtowers tx-sender left)
    (print {topic: "watchtower-leaving", watchtower: tx-sender, release-height: (get release-at left)})
    (ok (get release-at left))))

;; Returns the bond of an inactive watchtower after unbonding. Never blocked by pause.
(define-public (withdraw-watchtower-bond)
  (let ((tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
        (bond (get bond tower))
        (who tx-sender))
    (asserts! (not (get is-active tower)) ERR-STAKE-LOCKED)
    (asserts! (>= burn-block-height (get release-at tower)) ERR-STAKE-LOCKED)
    ;; a claim it made must be decided or expired first: an expired one costs part of this bond
    (asserts! (is-eq (get open-claims tower) u0) ERR-STAKE-LOCKED)
    ;; a bond forfeited to nothing (false-claim-bps 100%) leaves nothing to send
    (if (> bond u0) (try! (transfer-out bond who)) true)
    (map-delete watchtowers who)
    (var-set total-bonds (- (var-get total-bonds) bond))
    (print {topic: "watchtower-withdrawn", watchtower: who, bond: bond})
    (ok bond)))

;; One report per watchtower, signer and interval: uptime (percent), signing-speed (blocks),
;; valid-signatures (read as accuracy). Each metric moves only as far as a supermajority of
;; the active watchtowers agrees (agreed-value).
(define-public (submit-watchtower-report (signer principal) (uptime uint) (signing-speed uint)
                                         (valid-signatures uint))
  (let (
    (active (try! (check-active)))
    (tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
    (tower-active (asserts! (get is-active tower) ERR-NOT-WATCHTOWER)) ;; the caller's role before state
    (self (asserts! (not (is-eq tx-sender signer)) ERR-UNAUTHORIZED))
    (info (unwrap! (map-get? signers signer) ERR-NOT-REGISTERED))
    (total (get total-signatures (get performance-metrics info))))
    (asserts! (and (<= uptime PERCENT) (<= signing-speed MAX-SIGNING-SPEED) (<= valid-signatures total))
              ERR-INVALID-METRICS)
    (record-report signer info uptime signing-speed (accuracy-of valid-signatures total))))

;; A watchtower's claim that a stored partial is invalid, open until its claim-until. At the
;; supermajority of distinct active watchtowers the signer is slashed slash-invalid-bps, the
;; partial stops counting and earns nothing, and the claimants share notifier-reward-bps of
;; the slash; a standing aggregate left under t counted partials is dropped.
(define-public (report-invalid-signature (message-hash (buff 32)) (signer principal))
  (let (
    (active (try! (check-active)))
    (tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
    (tower-active (asserts! (get is-active tower) ERR-NOT-WATCHTOWER)) ;; the caller's role before state
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (partial (unwrap! (map-get? partial-signatures {message-hash: message-hash, signer: signer}) ERR-NOT-PENALIZABLE))
    (key {message-hash: message-hash, signer: signer})
    (stored (map-get? claims key))
    ;; a claim about an earlier attempt's partial is stale: its window closed long ago
    (stale (match stored old (< (get attempt old) (get attempt partial)) false))
    (claim (match stored old
             (if stale {claimants: (list), opened-at: (burn-now), confirmed: false, attempt: (get attempt partial)} old)
             {claimants: (list), opened-at: (burn-now), confirmed: false, attempt: (get attempt partial)}))
    (claimants (unwrap! (as-max-len? (append (get claimants claim) tx-sender) u32) ERR-WATCHTOWER-LIMIT))
    (quorum (get-watchtower-supermajority))
    (confirms (>= (fold count-active claimants u0) quorum)))
    (asserts! (not (get confirmed claim)) ERR-NOT-PENALIZABLE)
    (asserts! (is-none (index-of? (get claimants claim) tx-sender)) ERR-ALREADY-REPORTED)
    (asserts! (<= (burn-now) (get claim-until partial)) ERR-CLAIM-EXPIRED)
    ;; a stale claim that never reached the supermajority was false: its claimants pay now
    (match stored old (if (and stale (not (get confirmed old))) (forfeit-bonds (get claimants old) message-hash (some signer)) u0) u0)
    (map-set claims key (merge claim {claimants: claimants, confirmed: confirms}))
    (open-claim)
    (print {topic: "invalid-signature-claim", message-hash: message-hash, signer: signer,
            watchtower: tx-sender, claims: (len claimants), quorum: quorum, confirmed: confirms})
    (if confirms
      (let (
        (info (unwrap! (map-get? signers signer) ERR-NOT-REGISTERED))
        (metrics (get performance-metrics info))
        (valid (- (get valid-signatures metrics) (min-uint u1 (get valid-signatures metrics))))
        (count (- (get partial-count request) u1))
        (threshold (get threshold (unwrap-panic (map-get? epochs (get epoch request)))))
        (drop (and (is-some (get aggregate-signature request)) (not (get fee-paid request)) (< count threshold))))
        (map-set partial-signatures key (merge partial {invalid: true}))
        (map-set requests message-hash
          (if drop
            (merge request {partial-count: count, aggregate-signature: none, aggregator: none,
                            finalized-at: u0, settle-at: u0})
            (merge request {partial-count: count})))
        (if drop
          (let ((dropped {message-hash: message-hash, aggregate: (unwrap-panic (get aggregate-signature request))}))
            ;; claims against the dropped aggregate are moot: they close without a charge
            (match (map-get? aggregate-claims dropped) moot (fold close-claim (get claimants moot) u0) u0)
            (map-delete aggregate-claims dropped)
            (print {topic: "aggregate-dropped", message-hash: message-hash,
                    aggregate: (get aggregate-signature request), partial-count: count})
            true)
          true)
        (let (
          (amount (slash-signer signer
                    (merge info {performance-metrics: (merge metrics {
                      valid-signatures: valid,
                      accuracy: (accuracy-of valid (get total-signatures metrics))})})
                    (param "slash-invalid-bps") "invalid-partial" message-hash))
          (pool (/ (* amount (param "notifier-reward-bps")) BPS))
          (paid (get paid (fold reward-confirmer claimants {share: (/ pool (len claimants)), paid: u0}))))
          (var-set treasury (+ (var-get treasury) (- amount paid)))
          (ok true)))
      (ok false))))

;; A claim that a standing aggregate does not verify, open until settle-at. At the
;; supermajority the aggregate is removed so that a valid one can be submitted. It earns no
;; accuracy-score (a claim that expires still costs bond).
(define-public (report-invalid-aggregate (message-hash (buff 32)))
  (let (
    (active (try! (check-active)))
    (tower (unwrap! (map-get? watchtowers tx-sender) ERR-NOT-WATCHTOWER))
    (checked (asserts! (get is-active tower) ERR-NOT-WATCHTOWER))
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (aggregate (unwrap! (get aggregate-signature request) ERR-NOT-PENALIZABLE))
    (key {message-hash: message-hash, aggregate: aggregate})
    (claim (default-to {claimants: (list), opened-at: (burn-now)} (map-get? aggregate-claims key)))
    (claimants (unwrap! (as-max-len? (append (get claimants claim) tx-sender) u32) ERR-WATCHTOWER-LIMIT))
    (quorum (get-watchtower-supermajority))
    (confirms (>= (fold count-active claimants u0) quorum)))
    (asserts! (is-none (index-of? (get claimants claim) tx-sender)) ERR-ALREADY-REPORTED)
    (asserts! (<= (burn-now) (get settle-at request)) ERR-CLAIM-EXPIRED)
    (print {topic: "invalid-aggregate-claim", message-hash: message-hash, aggregate: aggregate,
            watchtower: tx-sender, claims: (len claimants), quorum: quorum, confirmed: confirms})
    (open-claim)
    (if confirms
      (begin
        (fold close-claim claimants u0)
        (map-delete aggregate-claims key)
        (map-set requests message-hash (merge request {aggregate-signature: none, aggregator: none,
                                                       finalized-at: u0, settle-at: u0}))
        (print {topic: "aggregate-rejected", message-hash: message-hash, aggregate: aggregate,
                aggregator: (get aggregator request), claimants: claimants})
        (ok true))
      (begin
        (map-set aggregate-claims key (merge claim {claimants: claimants}))
        (ok false)))))

;; Anyone, once a claim against a partial passed the partial's claim-until without a
;; supermajority: forfeit-bonds charges the claimants (unless half the active back it).
(define-public (expire-claim (message-hash (buff 32)) (signer principal))
  (let ((active (try! (check-active)))
        (key {message-hash: message-hash, signer: signer})
        (claim (unwrap! (map-get? claims key) ERR-UNKNOWN-CLAIM))
        (partial (unwrap! (map-get? partial-signatures key) ERR-UNKNOWN-CLAIM)))
    (asserts! (not (get confirmed claim)) ERR-ALREADY-FINALIZED)
    (asserts! (or (< (get attempt claim) (get attempt partial)) (> (burn-now) (get claim-until partial)))
              ERR-DEADLINE-NOT-REACHED)
    (map-delete claims key)
    (ok (forfeit-bonds (get claimants claim) message-hash (some signer)))))

;; The same for a claim against an aggregate that still stands after its request's settle-at.
(define-public (expire-aggregate-claim (message-hash (buff 32)) (aggregate (buff 96)))
  (let ((active (try! (check-active)))
        (key {message-hash: message-hash, aggregate: aggregate})
        (claim (unwrap! (map-get? aggregate-claims key) ERR-UNKNOWN-CLAIM))
        (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST)))
    (asserts! (> (burn-now) (get settle-at request)) ERR-DEADLINE-NOT-REACHED)
    (map-delete aggregate-claims key)
    (ok (forfeit-bonds (get claimants claim) message-hash none))))

;; Anyone, after the deadline, against a member of the request's committee who did not
;; submit a partial: slash-liveness-bps slashed, uptime and reputation fall, the caller
;; earns notifier-reward-bps of the slash. Once per request and member, and at most once per
;; member per report interval.
(define-public (penalize-missed-signature (message-hash (buff 32)) (signer principal))
  (let (
    (active (try! (check-active)))
    (request (unwrap! (map-get? requests message-hash) ERR-UNKNOWN-REQUEST))
    (info (unwrap! (map-get? signers signer) ERR-NOT-REGISTERED))
    (metrics (get performance-metrics info)))
    (asserts! (> (stacks-now) (get deadline request)) ERR-DEADLINE-NOT-REACHED)
    (asserts! (is-member (get epoch request) signer) ERR-NOT-PENALIZABLE)
    ;; An aggregate that stood before the deadline refused further partials: the members who
    ;; had not signed by then missed nothing, also if that aggregate was later rejected.
    (asserts! (not (get closed-early request)) ERR-NOT-PENALIZABLE)
    ;; no partial in this attempt of the request, and not yet penalized for this attempt
    (asserts! (match (map-get? partial-signatures {message-hash: message-hash, signer: signer})
                old (< (get attempt old) (get attempt request))
                true)
              ERR-NOT-PENALIZABLE)
    (asserts! (match (map-get? liveness-penalties {message-hash: message-hash, signer: signer})
                penalized (< penalized (get attempt request))
                true)
              ERR-ALREADY-REPORTED)
    ;; at most one per member per report interval: a flood of requests it could not keep up
    ;; with costs it one interval's penalty, not its reputation
    (asserts! (match (map-get? liveness-intervals signer) last (< last (get-current-interval)) true)
              ERR-ALREADY-REPORTED)
    (map-set liveness-penalties {message-hash: message-hash, signer: signer} (get attempt request))
    (map-set liveness-intervals signer (get-current-interval))
    (let (
      (amount (slash-signer signer
                (merge info {performance-metrics: (merge metrics {
                  uptime: (- (get uptime metrics) (min-uint MISSED-UPTIME-PENALTY (get uptime metrics)))})})
                (param "slash-liveness-bps") "missed-signature" message-hash))
      (reward (/ (* amount (param "notifier-reward-bps")) BPS)))
      (credit-reward tx-sender reward)
      (var-set treasury (+ (var-get treasury) (- amount reward)))
      (print {topic: "liveness-penalty", message-hash: message-hash, signer: signer, notifier: tx-sender,
              slashed: amount, reward: reward})
      (ok amount))))

;; ===== Public: governance =====

;; Any signer with bonded stake proposes; votes weigh the voter's bonded stake, once per
;; principal, for voting-period Bitcoin blocks (unbonding-period is longer: no STX votes
;; twice). Then, for as long again, anyone executes it if for > against and turnout >=
;; quorum-bps of the bonded stake (the larger of then and now). A change that breaks a bound
;; or a relation is refused when proposed and again when executed.
(define-private (new-proposal (kind (string-ascii 9)) (parameter (string-ascii 32)) (value uint)
                              (recipient (optional principal)))
  (let ((id (+ (var-get proposal-count) u1))
        (ends-at (+ burn-block-height (param "voting-period"))))
    (map-set proposals id {proposer: tx-sender, kind: kind, parameter: parameter, value: value,
                           recipient: recipient, votes-for: u0, votes-against: u0,
                           created-at: burn-block-height, ends-at: ends-at,
                           expires-at: (+ ends-at (param "voting-period")), total-stake: (var-get total-stake),
                           executed: false})
    (var-set proposal-count id)
    (print {topic: "proposal-created", proposal-id: id, proposer: tx-sender, kind: kind,
            parameter: parameter, value: value, recipient: recipient, ends-at: ends-at})
    id))

(define-private (check-proposer)
  (begin
    (try! (check-initialized)) ;; initialized before the caller's role (the fixed check order)
    (asserts! (> (get stake (unwrap! (map-get? signers tx-sender) ERR-NOT-REGISTERED)) u0) ERR-INSUFFICIENT-STAKE)
    (ok true)))

(define-public (propose-parameter-change (parameter (string-ascii 32)) (value uint))
  (begin
    (try! (check-proposer))
    (asserts! (is-some (map-get? param-bounds parameter)) ERR-UNKNOWN-PARAMETER)
    (asserts! (valid-config parameter value) ERR-INVALID-PARAMS)
    (ok (new-proposal "parameter" parameter value none))))

;; Slashed STX in the treasury go only where a vote sends them.
(define-public (propose-treasury-spend (amount uint) (recipient principal))
  (begin
    (try! (check-proposer))
    (asserts! (> amount u0) ERR-INVALID-AMOUNT)
    (asserts! (<= amount (var-get treasury)) ERR-INSUFFICIENT-FUNDS)
    (ok (new-proposal "treasury" "" amount (some recipient)))))

(define-public (propose-guardian (new-guardian principal))
  (begin
    (try! (check-proposer))
    (ok (new-proposal "guardian" "" u0 (some new-guardian)))))

(define-public (vote-on-proposal (proposal-id uint) (support bool))
  (let ((proposal (unwrap! (map-get? proposals proposal-id) ERR-UNKNOWN-PROPOSAL))
        (info (unwrap! (map-get? signers tx-sender) ERR-NOT-REGISTERED))
        (weight (get stake info)))
    (asserts! (> weight u0) ERR-INSUFFICIENT-STAKE)
    (asserts! (< burn-block-height (get ends-at proposal)) ERR-VOTING-CLOSED)
    (asserts! (map-insert proposal-votes {proposal-id: proposal-id, voter: tx-sender} {support: support, weight: weight})
              ERR-ALREADY-VOTED)
    (map-set proposals proposal-id
      (merge proposal (if support
                        {votes-for: (+ (get votes-for proposal) weight), votes-against: (get votes-against proposal)}
                        {votes-for: (get votes-for proposal), votes-against: (+ (get votes-against proposal) weight)})))
    (print {topic: "proposal-vote", proposal-id: proposal-id, voter: tx-sender, support: support, weight: weight})
    (ok weight)))

(define-public (execute-proposal (proposal-id uint))
  (let ((proposal (unwrap! (map-get? proposals proposal-id) ERR-UNKNOWN-PROPOSAL))
        (kind (get kind proposal))
        (votes-for (get votes-for proposal))
        (turnout (+ votes-for (get votes-against proposal))))
    (asserts! (not (get executed proposal)) ERR-ALREADY-EXECUTED)
    (asserts! (>= burn-block-height (get ends-at proposal)) ERR-VOTING-OPEN)
    (asserts! (< burn-block-height (get expires-at proposal)) ERR-PROPOSAL-EXPIRED)
    ;; turnout against the larger of the bonded stake then and now: stake that leaves after
    ;; the vote cannot turn a minority into a quorum
    (asserts! (and (> votes-for (get votes-against proposal))
                   (>= (* turnout BPS) (* (max-uint (get total-stake proposal) (var-get total-stake)) (param "quorum-bps"))))
              ERR-PROPOSAL-REJECTED)
    (if (is-eq kind "parameter")
      (begin
        (asserts! (valid-config (get parameter proposal) (get value proposal)) ERR-INVALID-PARAMS)
        (map-set params (get parameter proposal) (get value proposal)))
      (if (is-eq kind "treasury")
        (let ((amount (get value proposal)))
          (asserts! (<= amount (var-get treasury)) ERR-INSUFFICIENT-FUNDS)
          (try! (transfer-out amount (unwrap-panic (get recipient proposal))))
          (var-set treasury (- (var-get treasury) amount))
          true)
        (var-set guardian (unwrap-panic (get recipient proposal)))))
    (map-set proposals proposal-id (merge proposal {executed: true}))
    (print {topic: "proposal-executed", proposal-id: proposal-id, kind: kind, parameter: (get parameter proposal),
            value: (get value proposal), recipient: (get recipient proposal), votes-for: votes-for,
            votes-against: (get votes-against proposal)})
    (ok true)))

;; ===== Public: emergency =====

;; Pause stops everything but unstaking, withdrawals, fee refunds, reward claims and leaving.
;; Paused blocks never count toward a deadline or window (the clocks stand still). The
;; guardian is checked by contract-caller: no contract it calls can pause in its name.
(define-public (pause)
  (begin
    (asserts! (is-eq contract-caller (var-get guardian)) ERR-UNAUTHORIZED)
    (asserts! (not (var-get paused)) ERR-PAUSED)
    (var-set pause-began {stacks: stacks-block-height, burn: burn-block-height})
    (var-set paused true)
    (print {topic: "paused", guardian: contract-caller, stacks-now: (stacks-now), burn-now: (burn-now)})
    (ok true)))

(define-public (unpause)
  (let ((began (var-get pause-began))
        (total (var-get paused-blocks))
        (paused-for {stacks: (- stacks-block-height (get stacks began)), burn: (- burn-block-height (get burn began))}))
    (asserts! (is-eq contract-caller (var-get guardian)) ERR-UNAUTHORIZED)
    (asserts! (var-get paused) ERR-NOT-PAUSED)
    (var-set paused-blocks {stacks: (+ (get stacks total) (get stacks paused-for)),
                            burn: (+ (get burn total) (get burn paused-for))})
    (var-set paused false)
    (print {topic: "unpaused", guardian: contract-caller, paused-for: paused-for,
            stacks-now: (stacks-now), burn-now: (burn-now)})
    (ok true)))

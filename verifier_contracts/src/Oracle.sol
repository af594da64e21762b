// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title zkclear committee price oracle
/// @notice A committee of reporters signs price reports off-chain (EIP-712 typed data);
/// anyone submits a round's signed reports with `submitRound`. A round is accepted with at
/// least `quorum` fresh reports from distinct reporters (`bigQuorum` when some market moves
/// further than `bandBps` from the last round), at the per-market median of the reports.
///
/// Report (EIP-712, domain {name: "zkclear Oracle", version: "1", chainId, verifyingContract}):
///     Report(uint256 roundId,uint256 timestamp,uint256[] prices,int256[] fundingIndices)
/// `prices[j]` is market j's price in collateral units per lot; the accepted price is the
/// ladder index g_j = round(median_j / priceStep_j) (half up), 1 <= g_j <= 2^16 - 1.
/// `fundingIndices[j]` is a signed funding index; the accepted one is the median, |F| < 2^47.
/// The median of n values is the lower median (the ((n - 1) / 2)-th smallest, an actual
/// report): with fewer than half of the submitted reports lying, it lies between honest ones.
///
/// Read interface (what Rollup.sol uses), unchanged from the single-poster oracle: rounds
/// are numbered 1, 2, 3, ... (0: no round); `getRound(id)` gives the round's words as the
/// settlement circuit takes them (BN254 field elements: ladder indices, and funding indices
/// as r - |F| when negative) and the block timestamp when the round was accepted;
///     roundHash[id] = keccak256(abi.encode(prices, fundingIndices, figuresRoot))    (those words;
/// figuresRoot: the round's options commitment, 0 without options).
///
/// Options figures (an oracle deployed with `options`: sequencer/spec/options.py). With every
/// round the committee also signs ONE figures statement (EIP-712, same domain):
///     Figures(uint256 roundId,uint256 timestamp,uint256[] prices,uint256[] vols,
///             uint256[] listings,uint256[] settlements,uint256 figuresRoot)
/// `timestamp` is the options clock (expiries and times to expiry are measured on it; it
/// never goes back from round to round), `prices` the ladder indices the figures were computed
/// on (they must be the round's medians: a poster choosing another subset of the reports, so
/// another median, cannot pair the figures with prices they were not computed on), `vols` one
/// vol index per market (basis points of annual vol, < 2^16; 0 on a market without options),
/// `listings` the series listed from this round on (ids continue the book's, in order; a word
/// market << 80 | isCall << 72 | strike << 56 | expiry << 16 | smileBps), `settlements` the
/// series this round settles (a word seriesId << 16 | ladder price), and `figuresRoot` the
/// Poseidon commitment over every published risk array and corner row
/// (`OptionFigures.commitment`), a nonzero field element. The figures need `bigQuorum`
/// distinct reporters' signatures: one statement has no median to outvote a liar, so it takes
/// the stronger of the two quorums. The round hash binds the root (the batch proof opens the
/// figures against it: Rollup.sol compares the batch message's figuresRoot through the hash);
/// the rest is in the `FiguresPosted` event only, for the sequencer to rebuild the figures
/// (a log costs 8 gas a byte, a stored word 22,100). An oracle without options takes rounds
/// without figures (`submitRound`, root 0); an oracle with options takes none without them
/// (`submitRoundWithFigures`), so nobody can post a round the option rollup cannot use.
///
/// Parameters (reporters, quorum, bigQuorum, bandBps, maxReportAge, priceSteps) change only
/// through `owner` (two-step ownership transfer, the interface of OpenZeppelin's
/// Ownable2Step), each change with an event.
contract Oracle {
    // ------------------------------------------------------------------ constants

    /// BN254 scalar field order r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// secp256k1 group order / 2: a signature with a larger s is the malleable twin of one below.
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// Largest ladder index (prices are 16-bit in the circuit).
    uint256 public constant MAX_LADDER = 2 ** 16 - 1;
    /// |funding index| must stay below this.
    int256 public constant FUNDING_LIMIT = 2 ** 47;
    /// A report may be dated at most this many seconds after block.timestamp (clock skew).
    uint256 public constant MAX_FUTURE_SKEW = 15;
    /// Largest committee.
    uint256 public constant MAX_REPORTERS = 64;
    /// Largest vol index (basis points of annual vol, 16 bits in the circuit).
    uint256 public constant MAX_VOL = 2 ** 16 - 1;

    bytes32 public constant REPORT_TYPEHASH =
        keccak256("Report(uint256 roundId,uint256 timestamp,uint256[] prices,int256[] fundingIndices)");
    bytes32 public constant FIGURES_TYPEHASH = keccak256(
        "Figures(uint256 roundId,uint256 timestamp,uint256[] prices,uint256[] vols,uint256[] listings,uint256[] settlements,uint256 figuresRoot)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("zkclear Oracle");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    // ------------------------------------------------------------------ types

    /// One reporter's signed observation for one round.
    struct Report {
        uint256 roundId;
        uint256 timestamp; // when the reporter observed the prices (unix seconds)
        uint256[] prices; // collateral units per lot, one per market
        int256[] fundingIndices; // one per market
    }

    /// The committee's options figures for one round (contract docstring).
    struct Figures {
        uint256 roundId;
        uint256 timestamp; // the options clock, unix seconds
        uint256[] prices; // the ladder indices the figures were computed on: the round's medians
        uint256[] vols; // vol index per market
        uint256[] listings; // market << 80 | isCall << 72 | strike << 56 | expiry << 16 | smileBps
        uint256[] settlements; // seriesId << 16 | ladder price
        uint256 figuresRoot; // Poseidon commitment over the published arrays and rows
    }

    /// secp256k1 signature over the report's EIP-712 digest (v 27 or 28, s in the lower half).
    struct Signature {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    // ------------------------------------------------------------------ state

    /// Number of markets M: every round has M prices and M funding indices.
    uint256 public immutable markets;
    /// Whether rounds carry options figures (`submitRoundWithFigures`) or not (`submitRound`).
    bool public immutable options;
    uint256 internal immutable _cachedChainId;
    bytes32 internal immutable _cachedDomainSeparator;

    address public owner;
    address public pendingOwner;

    /// Minimum number of reports for a round.
    uint8 public quorum;
    /// Minimum number of reports for a round that moves some market beyond the band.
    uint8 public bigQuorum;
    /// Band in basis points: |g - gLast| * 10000 > bandBps * gLast is a big move.
    uint16 public bandBps;
    /// A report older than this (seconds before block.timestamp) is stale.
    uint32 public maxReportAge;
    /// Set when the price steps change: the next round cannot be compared with the last
    /// one (another ladder), so it needs bigQuorum. Also set before the first round.
    bool public ladderReset;

    /// The last accepted round id (0 before the first round).
    uint64 public latestRound;
    /// The options clock of the last round with figures (0 before the first): never goes back.
    uint64 public figuresTime;

    /// Collateral units per ladder step, per market (packed 4 per slot).
    uint64[] internal _priceSteps;
    address[] internal _reporters;
    mapping(address => bool) public isReporter;

    /// keccak256(abi.encode(prices, fundingIndices, figuresRoot)) of a round; 0 for a round not accepted.
    mapping(uint256 => bytes32) public roundHash;
    /// A round packed: word 0 = timestamp (64 bits) then markets 0..2, word k >= 1 markets
    /// 4k-1 .. 4k+2; a market is 64 bits: ladder index (16) << 48 | funding index (int48).
    mapping(uint256 => mapping(uint256 => uint256)) internal _packed;

    // ------------------------------------------------------------------ events

    event RoundPosted(uint256 indexed roundId, uint256 timestamp, uint256[] prices, uint256[] fundingIndices);
    /// The round's options figures (prices: in RoundPosted), what the sequencer rebuilds them from.
    event FiguresPosted(
        uint256 indexed roundId,
        uint256 timestamp,
        uint256[] vols,
        uint256[] listings,
        uint256[] settlements,
        uint256 figuresRoot
    );
    event CommitteeChanged(address[] reporters, uint256 quorum, uint256 bigQuorum);
    event BandChanged(uint256 bandBps);
    event MaxReportAgeChanged(uint256 maxReportAge);
    event PriceStepsChanged(uint256[] priceSteps);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    modifier onlyOwner() {
        require(msg.sender == owner, "Oracle: not the owner");
        _;
    }

    constructor(
        address owner_,
        uint256 markets_,
        uint256[] memory priceSteps_,
        address[] memory reporters_,
        uint256 quorum_,
        uint256 bigQuorum_,
        uint256 bandBps_,
        uint256 maxReportAge_,
        bool options_
    ) {
        require(owner_ != address(0), "Oracle: zero owner");
        require(markets_ > 0 && markets_ <= 16, "Oracle: 1 to 16 markets");
        markets = markets_;
        options = options_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
        _setPriceSteps(priceSteps_);
        _setCommittee(reporters_, quorum_, bigQuorum_);
        _setBand(bandBps_);
        _setMaxReportAge(maxReportAge_);
    }

    // ------------------------------------------------------------------ rounds

    /// @notice Accept round `roundId` (must be `latestRound + 1`) from signed reports,
    /// ordered by strictly ascending signer address (one report per reporter). An oracle
    /// without options only.
    function submitRound(uint256 roundId, Report[] calldata reports, Signature[] calldata sigs) external {
        require(!options, "Oracle: rounds need options figures");
        _acceptRound(roundId, reports, sigs, 0);
    }

    /// @notice `submitRound` with the committee's options figures for the round, signed by at
    /// least `bigQuorum` distinct reporters (strictly ascending signers). An oracle with options only.
    function submitRoundWithFigures(
        uint256 roundId,
        Report[] calldata reports,
        Signature[] calldata sigs,
        Figures calldata figures,
        Signature[] calldata figureSigs
    ) external {
        require(options, "Oracle: an oracle without options");
        uint256[] memory g = _acceptRound(roundId, reports, sigs, figures.figuresRoot);
        _checkFigures(roundId, figures, figureSigs, g);
        figuresTime = uint64(figures.timestamp);
        emit FiguresPosted(
            roundId, figures.timestamp, figures.vols, figures.listings, figures.settlements, figures.figuresRoot
        );
    }

    /// Checks the reports, stores the round (its hash over `figuresRoot` too), emits RoundPosted;
    /// returns the accepted ladder indices.
    function _acceptRound(uint256 roundId, Report[] calldata reports, Signature[] calldata sigs, uint256 figuresRoot)
        internal
        returns (uint256[] memory g)
    {
        require(roundId == latestRound + 1, "Oracle: round out of order");
        require(sigs.length == reports.length, "Oracle: one signature per report");
        require(reports.length >= quorum, "Oracle: too few reports");
        _checkReports(roundId, reports, sigs);

        uint256[] memory f;
        bool big;
        (g, f, big) = _storeMedians(roundId, reports);
        if (big) require(reports.length >= bigQuorum, "Oracle: big move needs bigQuorum");

        latestRound = uint64(roundId);
        if (ladderReset) ladderReset = false;
        roundHash[roundId] = keccak256(abi.encode(g, f, figuresRoot));
        emit RoundPosted(roundId, block.timestamp, g, f);
    }

    /// The round's medians (ladder indices, funding field words), stored packed with the block
    /// time; `big`: some market moved beyond the band (or the ladder was reset).
    function _storeMedians(uint256 roundId, Report[] calldata reports)
        internal
        returns (uint256[] memory g, uint256[] memory f, bool big)
    {
        uint256 m = markets;
        g = new uint256[](m);
        f = new uint256[](m);
        uint256[] memory packed = new uint256[]((m + 4) / 4);
        packed[0] = block.timestamp;
        big = ladderReset;
        for (uint256 j = 0; j < m; j++) {
            (uint256 gj, int256 fj) = _median(reports, j);
            g[j] = gj;
            f[j] = fj < 0 ? R - uint256(-fj) : uint256(fj);
            if (!big) big = _bigMove(roundId - 1, j, gj);
            uint256 shift = 64 * ((j + 1) % 4);
            packed[(j + 1) / 4] |= (gj << (shift + 48)) | ((uint256(fj) & 0xFFFFFFFFFFFF) << shift);
        }
        for (uint256 k = 0; k < packed.length; k++) {
            _packed[roundId][k] = packed[k];
        }
    }

    // ------------------------------------------------------------------ reads

    /// @notice block.timestamp when round `roundId` was accepted (0: not accepted).
    function roundTimestamp(uint256 roundId) public view returns (uint256) {
        return _packed[roundId][0] & 0xFFFFFFFFFFFFFFFF;
    }

    /// @notice `roundHash(roundId)` and `roundTimestamp(roundId)` in one call (Rollup.submitBatch
    /// reads both: one external call fewer per batch).
    function roundInfo(uint256 roundId) external view returns (bytes32 hash, uint256 timestamp) {
        return (roundHash[roundId], _packed[roundId][0] & 0xFFFFFFFFFFFFFFFF);
    }

    /// @notice An accepted round: ladder indices, funding indices (field words) and timestamp.
    function getRound(uint256 roundId)
        external
        view
        returns (uint256[] memory prices, uint256[] memory fundingIndices, uint256 timestamp)
    {
        require(roundHash[roundId] != bytes32(0), "Oracle: unknown round");
        uint256 m = markets;
        prices = new uint256[](m);
        fundingIndices = new uint256[](m);
        uint256 word = _packed[roundId][0];
        timestamp = word & 0xFFFFFFFFFFFFFFFF;
        for (uint256 j = 0; j < m; j++) {
            uint256 shift = 64 * ((j + 1) % 4);
            if (shift == 0) word = _packed[roundId][(j + 1) / 4];
            prices[j] = (word >> (shift + 48)) & 0xFFFF;
            int256 fj = int256(int48(uint48(word >> shift)));
            fundingIndices[j] = fj < 0 ? R - uint256(-fj) : uint256(fj);
        }
    }

    function reporters() external view returns (address[] memory) {
        return _reporters;
    }

    function priceSteps() external view returns (uint256[] memory out) {
        uint256 m = markets;
        out = new uint256[](m);
        for (uint256 j = 0; j < m; j++) out[j] = _priceSteps[j];
    }

    /// @notice The EIP-712 domain separator (chainId + this contract).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The EIP-712 digest a reporter signs for `rep`.
    function reportDigest(Report calldata rep) external view returns (bytes32) {
        return _digest(domainSeparator(), rep);
    }

    /// @notice The EIP-712 digest a reporter signs for the options figures `fig`.
    function figuresDigest(Figures calldata fig) external view returns (bytes32) {
        return _figuresDigest(domainSeparator(), fig);
    }

    // ------------------------------------------------------------------ owner

    function setCommittee(address[] calldata reporters_, uint256 quorum_, uint256 bigQuorum_) external onlyOwner {
        _setCommittee(reporters_, quorum_, bigQuorum_);
    }

    function setBand(uint256 bandBps_) external onlyOwner {
        _setBand(bandBps_);
    }

    function setMaxReportAge(uint256 maxReportAge_) external onlyOwner {
        _setMaxReportAge(maxReportAge_);
    }

    function setPriceSteps(uint256[] calldata priceSteps_) external onlyOwner {
        _setPriceSteps(priceSteps_);
    }

    /// @notice Start handing ownership to `newOwner` (it takes effect when it accepts;
    /// address(0) cancels a pending transfer).
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    function acceptOwnership() external {
        require(msg.sender == pendingOwner, "Oracle: not the pending owner");
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    // ------------------------------------------------------------------ internals

    function _setCommittee(address[] memory reporters_, uint256 quorum_, uint256 bigQuorum_) internal {
        uint256 n = reporters_.length;
        require(n > 0 && n <= MAX_REPORTERS, "Oracle: 1 to 64 reporters");
        require(quorum_ >= 1 && quorum_ <= bigQuorum_ && bigQuorum_ <= n, "Oracle: need 1 <= quorum <= bigQuorum <= reporters");
        for (uint256 i = 0; i < _reporters.length; i++) isReporter[_reporters[i]] = false;
        for (uint256 i = 0; i < n; i++) {
            address a = reporters_[i];
            require(a != address(0), "Oracle: zero reporter");
            require(!isReporter[a], "Oracle: reporter listed twice");
            isReporter[a] = true;
        }
        _reporters = reporters_;
        quorum = uint8(quorum_);
        bigQuorum = uint8(bigQuorum_);
        emit CommitteeChanged(reporters_, quorum_, bigQuorum_);
    }

    function _setBand(uint256 bandBps_) internal {
        require(bandBps_ <= type(uint16).max, "Oracle: band too wide");
        bandBps = uint16(bandBps_);
        emit BandChanged(bandBps_);
    }

    function _setMaxReportAge(uint256 maxReportAge_) internal {
        require(maxReportAge_ > 0 && maxReportAge_ <= type(uint32).max, "Oracle: bad max report age");
        maxReportAge = uint32(maxReportAge_);
        emit MaxReportAgeChanged(maxReportAge_);
    }

    function _setPriceSteps(uint256[] memory steps) internal {
        uint256 m = markets;
        require(steps.length == m, "Oracle: wrong number of markets");
        delete _priceSteps;
        for (uint256 j = 0; j < m; j++) {
            require(steps[j] > 0 && steps[j] <= type(uint64).max, "Oracle: bad price step");
            _priceSteps.push(uint64(steps[j]));
        }
        ladderReset = true;
        emit PriceStepsChanged(steps);
    }

    /// Every report is for this round and market count, fresh, and signed by a reporter;
    /// signers strictly ascending (so each reporter counts once).
    function _checkReports(uint256 roundId, Report[] calldata reports, Signature[] calldata sigs) internal view {
        uint256 m = markets;
        uint256 maxAge = maxReportAge;
        bytes32 domain = domainSeparator();
        address last = address(0);
        for (uint256 i = 0; i < reports.length; i++) {
            Report calldata rep = reports[i];
            require(rep.roundId == roundId, "Oracle: report for another round");
            require(rep.prices.length == m && rep.fundingIndices.length == m, "Oracle: wrong number of markets");
            require(rep.timestamp <= block.timestamp + MAX_FUTURE_SKEW, "Oracle: report from the future");
            require(rep.timestamp + maxAge >= block.timestamp, "Oracle: stale report");
            address signer = _recover(_digest(domain, rep), sigs[i]);
            require(isReporter[signer], "Oracle: signer not a reporter");
            require(signer != last, "Oracle: duplicate signer");
            require(signer > last, "Oracle: signers not in ascending order");
            last = signer;
        }
    }

    /// The figures are the round's, computed on its prices, fresh, on the options clock (which
    /// never goes back), their fields in range, signed by `bigQuorum` distinct reporters.
    function _checkFigures(uint256 roundId, Figures calldata fig, Signature[] calldata sigs, uint256[] memory g)
        internal
        view
    {
        require(fig.roundId == roundId, "Oracle: figures for another round");
        uint256 m = markets;
        require(fig.prices.length == m && fig.vols.length == m, "Oracle: wrong number of markets");
        for (uint256 j = 0; j < m; j++) {
            require(fig.prices[j] == g[j], "Oracle: figures computed on other prices");
            require(fig.vols[j] <= MAX_VOL, "Oracle: vol out of range");
        }
        uint256 t = fig.timestamp;
        require(t >= figuresTime, "Oracle: options time goes back");
        require(t <= block.timestamp + MAX_FUTURE_SKEW, "Oracle: figures from the future");
        require(t + maxReportAge >= block.timestamp, "Oracle: stale figures");
        require(fig.figuresRoot != 0 && fig.figuresRoot < R, "Oracle: figures root not a nonzero field element");
        for (uint256 i = 0; i < fig.listings.length; i++) {
            uint256 w = fig.listings[i];
            require(
                w >> 88 == 0 && (w >> 80) < m && (w >> 72) & 0xFF <= 1 && (w >> 56) & 0xFFFF != 0
                    && (w >> 16) & 0xFFFFFFFFFF > t && w & 0xFFFF != 0,
                "Oracle: bad listing"
            );
        }
        for (uint256 i = 0; i < fig.settlements.length; i++) {
            uint256 w = fig.settlements[i];
            require(w >> 32 == 0 && w >> 16 != 0, "Oracle: bad settlement");
        }
        require(sigs.length >= bigQuorum, "Oracle: too few figures signatures");
        bytes32 digest = _figuresDigest(domainSeparator(), fig);
        address last = address(0);
        for (uint256 i = 0; i < sigs.length; i++) {
            address signer = _recover(digest, sigs[i]);
            require(isReporter[signer], "Oracle: signer not a reporter");
            require(signer != last, "Oracle: duplicate signer");
            require(signer > last, "Oracle: signers not in ascending order");
            last = signer;
        }
    }

    /// Market j's accepted ladder index and funding index: the medians of the reports.
    function _median(Report[] calldata reports, uint256 j) internal view returns (uint256 g, int256 f) {
        uint256 n = reports.length;
        uint256[] memory p = new uint256[](n);
        int256[] memory fs = new int256[](n);
        for (uint256 i = 0; i < n; i++) {
            p[i] = reports[i].prices[j];
            fs[i] = reports[i].fundingIndices[j];
        }
        uint256 price = _medianU(p);
        uint256 step = _priceSteps[j];
        g = price / step;
        if (2 * (price % step) >= step) g += 1;
        require(g >= 1 && g <= MAX_LADDER, "Oracle: price off the ladder");
        f = _medianI(fs);
        require(f > -FUNDING_LIMIT && f < FUNDING_LIMIT, "Oracle: funding out of range");
    }

    /// Whether ladder index `g` of market j is further than the band from round `prev`'s.
    function _bigMove(uint256 prev, uint256 j, uint256 g) internal view returns (bool) {
        uint256 shift = 64 * ((j + 1) % 4) + 48;
        uint256 gPrev = (_packed[prev][(j + 1) / 4] >> shift) & 0xFFFF;
        uint256 diff = g > gPrev ? g - gPrev : gPrev - g;
        return diff * 10000 > uint256(bandBps) * gPrev;
    }

    function _buildDomainSeparator() internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    function _digest(bytes32 domain, Report calldata rep) internal pure returns (bytes32) {
        uint256[] calldata p = rep.prices;
        int256[] calldata f = rep.fundingIndices;
        bytes32 ph;
        bytes32 fh;
        assembly ("memory-safe") {
            // keccak256(abi.encodePacked(array)) of a calldata array: its words, hashed in
            // scratch memory past the free pointer (not allocated: nothing else lives there)
            let ptr := mload(0x40)
            let len := shl(5, p.length)
            calldatacopy(ptr, p.offset, len)
            ph := keccak256(ptr, len)
            len := shl(5, f.length)
            calldatacopy(ptr, f.offset, len)
            fh := keccak256(ptr, len)
        }
        bytes32 structHash = keccak256(abi.encode(REPORT_TYPEHASH, rep.roundId, rep.timestamp, ph, fh));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _figuresDigest(bytes32 domain, Figures calldata fig) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                FIGURES_TYPEHASH,
                fig.roundId,
                fig.timestamp,
                keccak256(abi.encodePacked(fig.prices)),
                keccak256(abi.encodePacked(fig.vols)),
                keccak256(abi.encodePacked(fig.listings)),
                keccak256(abi.encodePacked(fig.settlements)),
                fig.figuresRoot
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _recover(bytes32 digest, Signature calldata sig) internal pure returns (address signer) {
        require(uint256(sig.s) <= HALF_N, "Oracle: malleable signature (high s)");
        require(sig.v == 27 || sig.v == 28, "Oracle: bad signature v");
        signer = ecrecover(digest, sig.v, sig.r, sig.s);
        require(signer != address(0), "Oracle: bad signature");
    }

    /// Lower median (sorts `a` in place; n is small).
    function _medianU(uint256[] memory a) internal pure returns (uint256) {
        uint256 n = a.length;
        for (uint256 i = 1; i < n; i++) {
            uint256 x = a[i];
            uint256 k = i;
            while (k > 0 && a[k - 1] > x) {
                a[k] = a[k - 1];
                k--;
            }
            a[k] = x;
        }
        return a[(n - 1) / 2];
    }

    function _medianI(int256[] memory a) internal pure returns (int256) {
        uint256 n = a.length;
        for (uint256 i = 1; i < n; i++) {
            int256 x = a[i];
            uint256 k = i;
            while (k > 0 && a[k - 1] > x) {
                a[k] = a[k - 1];
                k--;
            }
            a[k] = x;
        }
        return a[(n - 1) / 2];
    }
}

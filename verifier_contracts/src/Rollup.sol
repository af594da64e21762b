// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// The oracle's read interface (src/Oracle.sol, or any oracle with the same reads).
/// Rounds are numbered 1, 2, 3, ... consecutively, with non-decreasing timestamps; roundHash(id) = keccak256(abi.encode(prices,
/// fundingIndices, figuresRoot)) (field words; figuresRoot: the committee's options commitment
/// for the round, 0 on an oracle without options), 0 for an unknown round; roundTimestamp(id)
/// is the block.timestamp at which the round was accepted.
interface IRollupOracle {
    function markets() external view returns (uint256);
    function latestRound() external view returns (uint256);
    function roundHash(uint256 roundId) external view returns (bytes32);
    function roundTimestamp(uint256 roundId) external view returns (uint256);
    function roundInfo(uint256 roundId) external view returns (bytes32 hash, uint256 timestamp);
    function getRound(uint256 roundId)
        external
        view
        returns (uint256[] memory prices, uint256[] memory fundingIndices, uint256 timestamp);
}

/// The rendered Groth16 verifiers (src/Groth16Verifier.sol.tmpl) expose their input count.
interface IGroth16Verifier {
    function N_PUBLIC() external view returns (uint256);
}

/// @title zkclear settlement contract (v2: one-input batch proofs, L1 registration, ERC-20 collateral)
/// @notice Holds the state root of the off-chain exchange and moves it only with a valid
/// Groth16 proof of a batch submitted by the sequencer. Accounts are registered here (the
/// contract assigns the id and records the owner); deposits (ERC-20) and forced-withdrawal
/// requests wait in bounded FIFO queues that batches consume; payments are credited to the
/// account and claimed in tokens by its owner. Escape hatch: a queue entry left unconsumed
/// past `deadlineBlocks` lets anyone freeze the contract; frozen, each account exits once with
/// its equity at the last root (exit proof) and unconsumed deposits are refunded.
///
/// Units. L2 amounts are collateral units (1 unit = 1e-6 USD). `unitScale` token base units
/// make one unit (a 6-decimal stablecoin: 1; an 18-decimal token: 10^12). A deposit must be a
/// whole number of units (dust is refused, never kept) and the contract must receive exactly
/// the amount (fee-on-transfer tokens are refused). Amounts are < 2^63 units (AMOUNT_BITS),
/// account ids < 2^accountBits <= 2^32.
///
/// The batch proof has ONE public input, `digest = sha256(message) >> 3`, where the message
/// is sequencer/spec/public.py's `batch_message` (fields big-endian, fixed length per slot
/// counts; unused slots zero):
///     oldRoot 32, newRoot 32, daCommitment 32, daKeyX 32, daKeyY 32, figuresRoot 32, batchNumber 4, oracleRound 8,
///     price[j] 2 (M), funding[j] 6 (M, F + 2^47),
///     registrationFrom 4, registrationTo 4, R x (pubkeyX 32, pubkeyY 32, owner 20),
///     depositFrom 4, depositTo 4, D x (accountId 4, amount 8, bounced 1),
///     forcedFrom 4, forcedTo 4, F x (accountId 4, amount 8, executed 1),
///     W x (accountId 4, amount 8).
/// oldRoot, the DA key, batchNumber, the `From` indices and every queue entry come from
/// storage; the rest (daCommitment and figuresRoot included) from the calldata. figuresRoot
/// must be the options commitment the oracle recorded with the batch's round (as the prices
/// must be its prices; the oracle's round hash covers both): the circuit opens the round's
/// option figures against it. Exit proofs keep 2M + 4 inputs:
///     [root, prices[0..M-1], fundingIndices[0..M-1], accountId, l1Address, equity].
///
/// Bounded queues: why no sender can make the contract overdue. Each L1 queue q
/// (registrations, deposits, forced requests) has slots_q entries per batch. The operator
/// promises a batch at least every `batchIntervalBlocks` = N blocks; an entry is overdue
/// after `deadlineBlocks` = D. The contract caps the unconsumed entries of q at
/// cap_q = slots_q * floor(D / N) and refuses a new entry ("<queue> queue full, retry later")
/// while q holds cap_q. An entry admitted when q holds at most cap_q - 1 others is at
/// position p <= cap_q; honest batches consume min(slots_q, pending) entries in FIFO order at
/// least once every N blocks, so entry p is consumed within ceil(p / slots_q) * N
/// <= floor(D / N) * N <= D blocks of its admission. So while batches come every N blocks,
/// no flood of entries makes `overdue()` true; a flood only makes new entries wait (each
/// costs a fee, an owner's account, and for deposits the deposited money), and the queue
/// drains every N blocks, so honest owners are never refused for good.
///
/// Data availability (DA) committee. An exit needs the owner's leaf and Merkle path at the
/// last settled root, which only the sequencer holds: if it vanished, nobody could exit. So
/// a batch also carries `daCommitment`, the commitment to its DA payload (per written leaf:
/// index, new leaf hash, nonce, the leaf encrypted to its owner; sequencer/spec/da.py), which
/// the batch proof binds: the circuit encrypts every leaf it writes under a key the owner
/// derives from its own key and `daPublicKey` (the sequencer's Baby Jubjub DA key, a
/// deployment constant in every batch message: the circuit proves it knows its secret), and
/// computes the commitment itself. When the contract has a committee (`daThreshold` k >= 1 of
/// `daMembers()`), the root moves only through `submitBatchWithData`, with k distinct
/// members' EIP-712 signatures of
///     BatchData(uint256 batchNumber,uint256 newRoot,uint256 daCommitment)
/// under the domain {name: "zkclear Rollup", version: "1", chainId, verifyingContract}.
/// A member signs only after storing the payload and recomputing `newRoot` from it on top of
/// its copy of the tree, so one honest signer of each batch can hand every owner its leaf
/// (decryptable by the owner alone) and path after a freeze. The committee and k are set at
/// deployment and never change: an owner able to swap members could install its own and
/// then let the data disappear; a new committee means a new deployment (owners move by
/// withdrawing, or exiting after a freeze). k = 0 (no members: development and tests) settles
/// through `submitBatch` (the commitment is still in the proved message, one calldata word);
/// `submitBatchWithData` then only emits the commitment.
/// The members sign the proved commitment, so one honest signer holds ciphertexts that the
/// proof shows decrypt, under each owner's key, to the leaves of the new root.
///
/// Privacy: events carry roots, queue positions, DA commitments and L1 payments only.
contract Rollup is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// BN254 scalar field order r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// The account id of the first L1 registration (id 0 is the insurance fund at genesis).
    uint256 public constant FIRST_L1_ACCOUNT = 1;
    /// Deposit, withdrawal and forced amounts are < 2^63 collateral units.
    uint256 public constant AMOUNT_LIMIT = 1 << 63;
    /// Funding indices are signed 48-bit; the message carries F + 2^47 in 6 bytes.
    uint256 internal constant FUNDING_OFFSET = 1 << 47;
    /// Mark prices are ladder indices < 2^16 (2 bytes in the message).
    uint256 internal constant GRID_LIMIT = 1 << 16;
    /// secp256k1 group order / 2: a signature with a larger s is the malleable twin of one below.
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// Largest DA committee.
    uint256 public constant MAX_DA_MEMBERS = 64;
    bytes32 public constant BATCH_DATA_TYPEHASH =
        keccak256("BatchData(uint256 batchNumber,uint256 newRoot,uint256 daCommitment)");
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("zkclear Rollup");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    struct Config {
        address sequencer; // the only address that submits batches; receives the fees
        address oracle; // its `markets()` fixes M
        address batchVerifier; // Groth16 verifier with ONE public input (the digest)
        address exitVerifier; // Groth16 verifier with 2M + 4 public inputs
        address collateral; // the ERC-20 collateral token
        uint256 unitScale; // token base units per collateral unit
        address insuranceOwner; // L1 address of account 0 (the insurance fund's genesis leaf)
        uint256 genesisRoot; // state root before batch 1
        uint256 accountBits; // account ids < 2^accountBits (<= 32)
        uint256 registerSlots; // queue entries per batch, per queue; and withdrawal slots
        uint256 depositSlots;
        uint256 forcedSlots;
        uint256 withdrawalSlots;
        uint256 batchIntervalBlocks; // N: the operator's promise, a batch at least every N blocks
        uint256 deadlineBlocks; // D: a queue entry is overdue after D blocks (D >= N)
        uint256 maxRoundAge; // seconds: a batch's oracle round is at most this old
        uint256 roundGrace; // seconds: a newer round must be used once it has existed this long
        uint256 minDepositUnits; // smallest deposit in units (>= 1)
        uint256 registrationFee; // wei, with each registration, credited to the sequencer
        uint256 forcedRequestFee; // wei, with each forced request, credited to the sequencer
        address[] daMembers; // the DA committee (empty: none)
        uint256 daThreshold; // k: member signatures a batch needs (0 iff no members)
        uint256 daKeyX; // the sequencer's DA public key (Baby Jubjub): in every batch message
        uint256 daKeyY;
    }

    /// The calldata half of a batch's message (the rest comes from storage).
    struct BatchPublic {
        uint256 newRoot;
        uint256 oracleRound;
        uint256[] prices; // M ladder indices (< 2^16)
        uint256[] fundingIndices; // M offset funding indices F + 2^47 (< 2^48), as in the batch message
        uint256 registrationTo;
        uint256 depositTo;
        uint256 depositBounced; // bit s: deposit slot s bounced (paid back, not credited)
        uint256 forcedTo;
        uint256 forcedExecuted; // bit s: forced slot s executed (paid to the owner)
        uint256 daCommitment; // the DA payload commitment the proof binds (what the committee signs)
        uint256 figuresRoot; // the oracle round's options commitment (0 on an oracle without options)
    }

    /// A signed withdrawal of the batch; at most `withdrawalSlots` of them (missing slots are zero).
    struct Withdrawal {
        uint256 accountId;
        uint256 amount;
    }

    /// secp256k1 signature over a batch's EIP-712 digest (v 27 or 28, s in the lower half).
    struct Signature {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// The queue counters, the batch number and the frozen flag: one storage slot.
    struct Counters {
        uint32 batchNumber;
        uint32 registrationCount;
        uint32 registrationConsumed;
        uint32 depositCount;
        uint32 depositConsumed;
        uint32 forcedCount;
        uint32 forcedConsumed;
        bool frozen;
    }

    /// An account's L1 owner and its credit (units claimable in tokens): one slot, never zero
    /// once registered, so crediting a payment costs a warm write, not a new slot.
    struct Account {
        address owner;
        uint96 credit;
    }

    /// A registration queue entry (the owner is `accounts[FIRST_L1_ACCOUNT + index].owner`).
    struct Registration {
        uint256 pubkeyX;
        uint256 pubkeyY;
        uint32 blockNumber;
    }

    address public immutable sequencer;
    IRollupOracle public immutable oracle;
    address public immutable batchVerifier;
    address public immutable exitVerifier;
    IERC20 public immutable collateral;
    uint256 public immutable unitScale;
    uint256 public immutable markets;
    uint256 public immutable accountLimit;
    uint256 public immutable registerSlots;
    uint256 public immutable depositSlots;
    uint256 public immutable forcedSlots;
    uint256 public immutable withdrawalSlots;
    uint256 public immutable batchIntervalBlocks;
    uint256 public immutable deadlineBlocks;
    uint256 public immutable registrationCap;
    uint256 public immutable depositCap;
    uint256 public immutable forcedCap;
    uint256 public immutable maxRoundAge;
    uint256 public immutable roundGrace;
    uint256 public immutable minDepositUnits;
    uint256 public immutable registrationFee;
    uint256 public immutable forcedRequestFee;
    uint256 public immutable messageLength;
    bytes4 internal immutable exitSelector;
    /// k: DA member signatures a batch needs (0: no committee).
    uint256 public immutable daThreshold;
    /// The sequencer's DA public key S (Baby Jubjub): owners derive their leaves' keys from it.
    uint256 public immutable daKeyX;
    uint256 public immutable daKeyY;
    uint256 internal immutable _cachedChainId;
    bytes32 internal immutable _cachedDomainSeparator;

    /// The state root after the last settled batch.
    uint256 public stateRoot;
    Counters internal _q;
    /// The oracle round of the last settled batch (0: none yet). Shares a slot with custody
    /// (bits 0..63 and 64..191), which submitBatch writes as one word.
    uint64 public lastOracleRound;
    /// Units held for the L2 state: credited deposits minus payments. Payments never exceed it.
    uint128 public custody;
    /// Wei of fees owed to the sequencer.
    uint256 public feesOwed;

    mapping(uint256 => Account) public accounts;
    mapping(uint256 => Registration) internal _registrations;
    /// Deposit and forced queue entries, two per slot: entry k in slot k / 2, bits
    /// [128 * (k % 2), +128): amount (64) | accountId (32) << 64 | blockNumber (32) << 96
    /// (so its low 96 bits are the message's accountId 4 | amount 8, big-endian).
    mapping(uint256 => uint256) internal _deposits;
    mapping(uint256 => uint256) internal _forced;
    /// An account has an unconsumed forced request.
    mapping(uint256 => bool) public forcedPending;
    mapping(uint256 => bool) public exited;
    /// The DA committee, fixed at deployment.
    address[] internal _daMembers;
    mapping(address => bool) public isDaMember;

    event Registered(uint256 indexed accountId, address indexed owner, uint256 pubkeyX, uint256 pubkeyY);
    event Deposited(uint256 indexed index, uint256 indexed accountId, uint256 amount);
    event ForcedWithdrawalRequested(uint256 indexed index, uint256 indexed accountId, uint256 amount);
    /// The queue ends and the withdrawals are in the transaction's calldata.
    event BatchSubmitted(uint256 indexed batchNumber, uint256 newRoot, uint256 oracleRound, uint256 digest);
    /// The batch's DA payload commitment (what the committee signed; submitBatchWithData only).
    event BatchData(uint256 indexed batchNumber, uint256 daCommitment);
    event Frozen(uint256 blockNumber);
    event Exited(uint256 indexed accountId, address indexed owner, uint256 amount);
    event DepositRefunded(uint256 indexed index, uint256 indexed accountId, uint256 amount);
    event FeesClaimed(address indexed to, uint256 amountWei);

    constructor(Config memory cfg) {
        require(cfg.sequencer != address(0) && cfg.insuranceOwner != address(0), "Rollup: zero address");
        require(cfg.collateral != address(0) && cfg.unitScale > 0, "Rollup: bad collateral");
        require(cfg.minDepositUnits > 0 && cfg.minDepositUnits < AMOUNT_LIMIT, "Rollup: bad minimum deposit");
        require(cfg.genesisRoot < R, "Rollup: genesis root not a field element");
        require(cfg.accountBits > 0 && cfg.accountBits <= 32, "Rollup: account bits");
        require(cfg.batchIntervalBlocks > 0 && cfg.maxRoundAge > 0, "Rollup: zero interval");
        require(cfg.depositSlots <= 256 && cfg.forcedSlots <= 256, "Rollup: at most 256 flagged slots");
        uint256 periods = cfg.deadlineBlocks / cfg.batchIntervalBlocks;
        registrationCap = cfg.registerSlots * periods;
        depositCap = cfg.depositSlots * periods;
        forcedCap = cfg.forcedSlots * periods;
        require(registrationCap >= 1 && depositCap >= 1 && forcedCap >= 1, "Rollup: a queue cap is zero");
        uint256 m = IRollupOracle(cfg.oracle).markets();
        require(m > 0, "Rollup: no markets");
        require(IGroth16Verifier(cfg.batchVerifier).N_PUBLIC() == 1, "Rollup: batch verifier input count");
        require(IGroth16Verifier(cfg.exitVerifier).N_PUBLIC() == 4 + 2 * m, "Rollup: exit verifier input count");
        sequencer = cfg.sequencer;
        oracle = IRollupOracle(cfg.oracle);
        batchVerifier = cfg.batchVerifier;
        exitVerifier = cfg.exitVerifier;
        collateral = IERC20(cfg.collateral);
        unitScale = cfg.unitScale;
        markets = m;
        accountLimit = 1 << cfg.accountBits;
        registerSlots = cfg.registerSlots;
        depositSlots = cfg.depositSlots;
        forcedSlots = cfg.forcedSlots;
        withdrawalSlots = cfg.withdrawalSlots;
        batchIntervalBlocks = cfg.batchIntervalBlocks;
        deadlineBlocks = cfg.deadlineBlocks;
        maxRoundAge = cfg.maxRoundAge;
        roundGrace = cfg.roundGrace;
        minDepositUnits = cfg.minDepositUnits;
        registrationFee = cfg.registrationFee;
        forcedRequestFee = cfg.forcedRequestFee;
        messageLength = 204 + 8 * m + 8 + 84 * cfg.registerSlots + 8 + 13 * cfg.depositSlots + 8
            + 13 * cfg.forcedSlots + 12 * cfg.withdrawalSlots;
        exitSelector = bytes4(
            keccak256(
                abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(4 + 2 * m), "])")
            )
        );
        stateRoot = cfg.genesisRoot;
        accounts[0].owner = cfg.insuranceOwner;
        uint256 n = cfg.daMembers.length;
        require(n <= MAX_DA_MEMBERS, "Rollup: at most 64 DA members");
        require(n == 0 ? cfg.daThreshold == 0 : cfg.daThreshold >= 1 && cfg.daThreshold <= n,
            "Rollup: need 1 <= daThreshold <= DA members (0 without members)");
        for (uint256 i = 0; i < n; i++) {
            address a = cfg.daMembers[i];
            require(a != address(0), "Rollup: zero DA member");
            require(!isDaMember[a], "Rollup: DA member listed twice");
            isDaMember[a] = true;
        }
        _daMembers = cfg.daMembers;
        daThreshold = cfg.daThreshold;
        require(cfg.daKeyX < R && cfg.daKeyY < R, "Rollup: DA key not a field element pair");
        daKeyX = cfg.daKeyX;
        daKeyY = cfg.daKeyY;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    // ------------------------------------------------------------------ queues

    /// @notice Register an account: the contract assigns `accountId = FIRST_L1_ACCOUNT +
    /// registrationCount`, records `msg.sender` as its owner for good, and queues (pubkeyX,
    /// pubkeyY, owner) for a batch to create the leaf. `msg.value` must be `registrationFee`.
    function register(uint256 pubkeyX, uint256 pubkeyY) external payable returns (uint256 accountId) {
        Counters memory c = _loadCounters();
        require(!c.frozen, "Rollup: frozen");
        require(msg.value == registrationFee, "Rollup: wrong registration fee");
        require(pubkeyX < R && pubkeyY < R, "Rollup: key not a field element pair");
        uint256 index = c.registrationCount;
        accountId = FIRST_L1_ACCOUNT + index;
        require(accountId < accountLimit, "Rollup: account tree full");
        require(index - c.registrationConsumed < registrationCap, "Rollup: registration queue full, retry later");
        _registrations[index] = Registration(pubkeyX, pubkeyY, uint32(block.number));
        accounts[accountId].owner = msg.sender;
        _q.registrationCount = uint32(index + 1);
        if (msg.value != 0) feesOwed += msg.value;
        emit Registered(accountId, msg.sender, pubkeyX, pubkeyY);
    }

    /// @notice Deposit `tokenAmount` collateral tokens (approved beforehand) for the registered
    /// account `accountId`; queued as `tokenAmount / unitScale` units. Returns the queue index.
    function deposit(uint256 accountId, uint256 tokenAmount) external nonReentrant returns (uint256 index) {
        Counters memory c = _loadCounters();
        require(!c.frozen, "Rollup: frozen");
        require(accounts[accountId].owner != address(0), "Rollup: account not registered");
        uint256 scale = unitScale;
        require(tokenAmount % scale == 0, "Rollup: not a whole number of units");
        uint256 amount = tokenAmount / scale;
        require(amount >= minDepositUnits, "Rollup: deposit below minimum");
        require(amount < AMOUNT_LIMIT, "Rollup: deposit too large");
        index = c.depositCount;
        require(index - c.depositConsumed < depositCap, "Rollup: deposit queue full, retry later");
        require(index < type(uint32).max, "Rollup: queue index exhausted");
        IERC20 token = collateral;
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), tokenAmount);
        require(token.balanceOf(address(this)) == before + tokenAmount, "Rollup: token transfer amount differs");
        _putEntry(_deposits, index, accountId, amount);
        _q.depositCount = uint32(index + 1);
        emit Deposited(index, accountId, amount);
    }

    /// @notice The owner of `accountId` asks for `amount` units to be paid out; a batch must
    /// consume the request within `deadlineBlocks` (executed when the account keeps its
    /// initial margin, else consumed with no effect), else anyone may `freeze()`. One
    /// unconsumed request per account; `msg.value` must be `forcedRequestFee`.
    function requestForcedWithdrawal(uint256 accountId, uint256 amount) external payable returns (uint256 index) {
        Counters memory c = _loadCounters();
        require(!c.frozen, "Rollup: frozen");
        require(accounts[accountId].owner == msg.sender, "Rollup: not the account's owner");
        require(amount > 0 && amount < AMOUNT_LIMIT, "Rollup: amount out of range");
        require(msg.value == forcedRequestFee, "Rollup: wrong forced request fee");
        require(!forcedPending[accountId], "Rollup: a forced request of this account is pending");
        index = c.forcedCount;
        require(index - c.forcedConsumed < forcedCap, "Rollup: forced queue full, retry later");
        require(index < type(uint32).max, "Rollup: queue index exhausted");
        forcedPending[accountId] = true;
        _putEntry(_forced, index, accountId, amount);
        _q.forcedCount = uint32(index + 1);
        if (msg.value != 0) feesOwed += msg.value;
        emit ForcedWithdrawalRequested(index, accountId, amount);
    }

    /// The counters slot read and written as one word (the struct's own packing: field i at
    /// bits [32 i, 32 i + 32), frozen at bit 224), instead of one access per field.
    function _loadCounters() internal view returns (Counters memory c) {
        uint256 w;
        assembly {
            w := sload(_q.slot)
        }
        c.batchNumber = uint32(w);
        c.registrationCount = uint32(w >> 32);
        c.registrationConsumed = uint32(w >> 64);
        c.depositCount = uint32(w >> 96);
        c.depositConsumed = uint32(w >> 128);
        c.forcedCount = uint32(w >> 160);
        c.forcedConsumed = uint32(w >> 192);
        c.frozen = (w >> 224) & 0xff != 0;
    }

    function _storeCounters(Counters memory c) internal {
        uint256 w = uint256(c.batchNumber) | (uint256(c.registrationCount) << 32)
            | (uint256(c.registrationConsumed) << 64) | (uint256(c.depositCount) << 96)
            | (uint256(c.depositConsumed) << 128) | (uint256(c.forcedCount) << 160)
            | (uint256(c.forcedConsumed) << 192) | (c.frozen ? uint256(1) << 224 : 0);
        assembly {
            sstore(_q.slot, w)
        }
    }

    function _putEntry(mapping(uint256 => uint256) storage queue, uint256 k, uint256 accountId, uint256 amount)
        internal
    {
        uint256 shift = (k & 1) << 7;
        queue[k >> 1] |= (amount | (accountId << 64) | (uint256(uint32(block.number)) << 96)) << shift;
    }

    function _entry(mapping(uint256 => uint256) storage queue, uint256 k)
        internal
        view
        returns (uint256 accountId, uint256 amount, uint256 blockNumber)
    {
        uint256 e = queue[k >> 1] >> ((k & 1) << 7);
        return (uint32(e >> 64), uint64(e), uint32(e >> 96));
    }

    // ------------------------------------------------------------------ batches

    /// @notice Settle a batch (sequencer only) on a contract WITHOUT a DA committee
    /// (`daThreshold` 0; with one, use `submitBatchWithData`): rebuilds the batch message
    /// from storage and `pub`/`withdrawals`, checks the oracle round, verifies the proof on
    /// digest = sha256(message) >> 3, moves the root and the queues, and credits bounced
    /// deposits, executed forced requests and withdrawals to the accounts' owners.
    /// @param withdrawals at most `withdrawalSlots` entries (slots past the end are zero);
    /// an entry with amount 0 pays nothing.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y] (EVM G2 order).
    function submitBatch(BatchPublic calldata pub, Withdrawal[] calldata withdrawals, uint256[8] calldata proof)
        external
        nonReentrant
    {
        require(msg.sender == sequencer, "Rollup: not the sequencer");
        require(daThreshold == 0, "Rollup: DA signatures required");
        _settle(_loadCounters(), pub, withdrawals, proof);
    }

    /// @notice `submitBatch` with the committee's signatures: the root moves only with at
    /// least `daThreshold` signatures by distinct DA members of (batch number, pub.newRoot,
    /// pub.daCommitment), the commitment the proof binds (it is in the batch message).
    /// Without a committee it settles like `submitBatch` and emits the commitment.
    /// @param daSignatures the members' signatures, by strictly ascending signer address.
    function submitBatchWithData(
        BatchPublic calldata pub,
        Withdrawal[] calldata withdrawals,
        Signature[] calldata daSignatures,
        uint256[8] calldata proof
    ) external nonReentrant {
        require(msg.sender == sequencer, "Rollup: not the sequencer");
        Counters memory c = _loadCounters();
        _checkAttestation(c.batchNumber + 1, pub.newRoot, pub.daCommitment, daSignatures);
        _settle(c, pub, withdrawals, proof);
        emit BatchData(c.batchNumber, pub.daCommitment); // _settle counted the batch
    }

    function _settle(
        Counters memory c,
        BatchPublic calldata pub,
        Withdrawal[] calldata withdrawals,
        uint256[8] calldata proof
    ) internal {
        require(!c.frozen, "Rollup: frozen");
        _checkOracle(pub);
        (bytes memory message, uint256 credited) = _message(c, pub, withdrawals);
        uint256 digest = uint256(sha256(message)) >> 3;
        require(_verifyBatch(proof, digest), "Rollup: invalid proof");

        stateRoot = pub.newRoot;
        uint256 held = custody + credited;
        held = _payQueues(c, pub, held);
        for (uint256 i = 0; i < withdrawals.length; i++) {
            uint256 amount = withdrawals[i].amount;
            if (amount == 0) continue;
            require(amount <= held, "Rollup: payments exceed custody");
            held -= amount;
            _credit(withdrawals[i].accountId, amount);
        }
        require(held < (1 << 128)); // custody is below all units ever deposited < 2^95
        uint256 roundAndCustody = pub.oracleRound | (held << 64); // one write: lastOracleRound, custody
        assembly {
            sstore(lastOracleRound.slot, roundAndCustody)
        }
        c.batchNumber += 1;
        c.registrationConsumed = uint32(pub.registrationTo);
        c.depositConsumed = uint32(pub.depositTo);
        c.forcedConsumed = uint32(pub.forcedTo);
        _storeCounters(c);
        emit BatchSubmitted(c.batchNumber, pub.newRoot, pub.oracleRound, digest);
    }

    /// At least `daThreshold` signatures of the batch's data by distinct members (strictly
    /// ascending signers); none needed without a committee. The commitment is a field
    /// element (a Poseidon hash, for the circuit to bind).
    function _checkAttestation(uint256 batch, uint256 newRoot, uint256 commitment, Signature[] calldata sigs)
        internal
        view
    {
        uint256 k = daThreshold;
        if (k == 0) return;
        require(sigs.length >= k, "Rollup: too few DA signatures");
        bytes32 digest = _batchDataDigest(domainSeparator(), batch, newRoot, commitment);
        address last = address(0);
        for (uint256 i = 0; i < sigs.length; i++) {
            address signer = _recover(digest, sigs[i]);
            require(isDaMember[signer], "Rollup: signer not a DA member");
            require(signer != last, "Rollup: duplicate DA signer");
            require(signer > last, "Rollup: DA signers not in ascending order");
            last = signer;
        }
    }

    function _batchDataDigest(bytes32 domain, uint256 batch, uint256 newRoot, uint256 commitment)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(BATCH_DATA_TYPEHASH, batch, newRoot, commitment));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _recover(bytes32 digest, Signature calldata sig) internal pure returns (address signer) {
        require(uint256(sig.s) <= HALF_N, "Rollup: malleable signature (high s)");
        require(sig.v == 27 || sig.v == 28, "Rollup: bad signature v");
        signer = ecrecover(digest, sig.v, sig.r, sig.s);
        require(signer != address(0), "Rollup: bad signature");
    }

    function _buildDomainSeparator() internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 domain separator (chainId + this contract).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The EIP-712 digest a DA member signs for batch `batch` with `newRoot` and `commitment`.
    function batchDataDigest(uint256 batch, uint256 newRoot, uint256 commitment) external view returns (bytes32) {
        return _batchDataDigest(domainSeparator(), batch, newRoot, commitment);
    }

    /// @notice The DA committee (empty: none).
    function daMembers() external view returns (address[] memory) {
        return _daMembers;
    }

    /// Bounced deposits back to their owners; forced requests consumed, executed ones paid.
    function _payQueues(Counters memory c, BatchPublic calldata pub, uint256 held) internal returns (uint256) {
        uint256 bounced = pub.depositBounced;
        for (uint256 s = 0; bounced != 0; s++) {
            if (bounced & 1 != 0) {
                (uint256 id, uint256 amount,) = _entry(_deposits, c.depositConsumed + s);
                _credit(id, amount);
            }
            bounced >>= 1;
        }
        uint256 executed = pub.forcedExecuted;
        for (uint256 k = c.forcedConsumed; k < pub.forcedTo; k++) {
            (uint256 id, uint256 amount,) = _entry(_forced, k);
            forcedPending[id] = false;
            if (executed & 1 != 0) {
                require(amount <= held, "Rollup: payments exceed custody");
                held -= amount;
                _credit(id, amount);
            }
            executed >>= 1;
        }
        return held;
    }

    function _credit(uint256 accountId, uint256 amount) internal {
        Account storage a = accounts[accountId];
        require(a.owner != address(0), "Rollup: payment to an unregistered account");
        a.credit += uint96(amount); // amount < 2^63; a credit is below all units ever deposited < 2^95
    }

    function _checkOracle(BatchPublic calldata pub) internal view {
        uint256 m = markets;
        require(pub.prices.length == m && pub.fundingIndices.length == m, "Rollup: wrong number of markets");
        uint256 round = pub.oracleRound;
        require(round >= lastOracleRound, "Rollup: oracle round goes back");
        IRollupOracle o = oracle;
        (bytes32 h, uint256 ts) = o.roundInfo(round);
        require(h != bytes32(0), "Rollup: unknown oracle round");
        // the round hash covers the prices, the funding indices and the options commitment
        require(
            h == _roundHash(pub.prices, pub.fundingIndices, pub.figuresRoot),
            "Rollup: prices or figures differ from the oracle round"
        );
        require(block.timestamp <= ts + maxRoundAge, "Rollup: oracle round too old");
        // A newer round must be used once it has existed for roundGrace. Round timestamps
        // grow with the id, so while this round is younger than the grace any newer one is
        // too, and the oracle need not be asked (one call fewer in the usual case).
        if (block.timestamp >= ts + roundGrace && round < o.latestRound()) {
            require(block.timestamp < o.roundTimestamp(round + 1) + roundGrace, "Rollup: a newer oracle round is due");
        }
    }

    /// keccak256(abi.encode(prices, fundingIndices, figuresRoot)) as the oracle hashes its round,
    /// encoded by hand from the calldata arrays; funding arrives offset (F + 2^47) and is hashed
    /// as the oracle's field word F mod r = (F + 2^47) + (r - 2^47) mod r. Binding the options
    /// commitment through the hash costs the batch no storage read (the oracle stores no
    /// separate word for it).
    function _roundHash(uint256[] calldata prices, uint256[] calldata funding, uint256 figuresRoot)
        internal
        pure
        returns (bytes32 h)
    {
        assembly {
            let m := prices.length
            let ptr := mload(0x40)
            let size := shl(5, m)
            mstore(ptr, 0x60)
            mstore(add(ptr, 0x20), add(0x80, size))
            mstore(add(ptr, 0x40), figuresRoot)
            mstore(add(ptr, 0x60), m)
            calldatacopy(add(ptr, 0x80), prices.offset, size)
            let n := funding.length
            mstore(add(ptr, add(0x80, size)), n)
            let out := add(ptr, add(0xa0, size))
            let shift := sub(R, FUNDING_OFFSET)
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                mstore(add(out, shl(5, j)), addmod(calldataload(add(funding.offset, shl(5, j))), shift, R))
            }
            h := keccak256(ptr, add(0xa0, add(size, shl(5, n))))
        }
    }

    /// @notice The batch message (sequencer/spec/public.py `batch_message`) for `pub` and
    /// `withdrawals` against the current state; reverts where submitBatch would on the ranges.
    function batchMessage(BatchPublic calldata pub, Withdrawal[] calldata withdrawals)
        external
        view
        returns (bytes memory message)
    {
        (message,) = _message(_loadCounters(), pub, withdrawals);
    }

    /// @notice The batch proof's public input: sha256(batchMessage(pub, withdrawals)) >> 3.
    function batchDigest(BatchPublic calldata pub, Withdrawal[] calldata withdrawals) external view returns (uint256) {
        (bytes memory message,) = _message(_loadCounters(), pub, withdrawals);
        return uint256(sha256(message)) >> 3;
    }

    /// Builds the message; returns it and the units of the credited (not bounced) deposits.
    /// Each field is stored as a whole word shifted to its top bytes: the bytes after the
    /// field are overwritten with zeros, which the message (fresh, zero-filled, written left
    /// to right, 32 bytes of slack) allows; every value is checked or known to fit its width.
    function _message(Counters memory c, BatchPublic calldata pub, Withdrawal[] calldata withdrawals)
        internal
        view
        returns (bytes memory message, uint256 credited)
    {
        uint256 m = markets;
        require(pub.newRoot < R, "Rollup: new root not a field element");
        require(pub.daCommitment < R, "Rollup: DA commitment not a field element");
        require(pub.oracleRound < (1 << 64), "Rollup: oracle round out of range");
        require(pub.prices.length == m && pub.fundingIndices.length == m, "Rollup: wrong number of markets");
        require(withdrawals.length <= withdrawalSlots, "Rollup: more withdrawals than slots");
        uint256 len = messageLength;
        message = new bytes(len + 32);
        uint256 p;
        {
            uint256 root = stateRoot;
            uint256 head = (uint256(c.batchNumber + 1) << 224) | (pub.oracleRound << 160);
            uint256 newRoot = pub.newRoot;
            uint256 da = pub.daCommitment;
            uint256 kx = daKeyX;
            uint256 ky = daKeyY;
            uint256 figures = pub.figuresRoot;
            assembly {
                mstore(message, len)
                p := add(message, 32)
                mstore(p, root)
                mstore(add(p, 32), newRoot)
                mstore(add(p, 64), da)
                mstore(add(p, 96), kx)
                mstore(add(p, 128), ky)
                mstore(add(p, 160), figures)
                mstore(add(p, 192), head)
                p := add(p, 204)
            }
        }
        p = _marketSection(p, pub.prices, pub.fundingIndices);
        p = _registrationSection(p, c, pub.registrationTo);
        (p, credited) = _queueSection(
            p, _deposits, c.depositConsumed, c.depositCount, pub.depositTo, depositSlots, pub.depositBounced, true
        );
        (p,) = _queueSection(
            p, _forced, c.forcedConsumed, c.forcedCount, pub.forcedTo, forcedSlots, pub.forcedExecuted, false
        );
        _withdrawalSection(p, withdrawals);
    }

    /// price[j] 2 bytes (ladder indices < 2^16), funding[j] 6 bytes (F + 2^47, |F| < 2^47 as a
    /// field word: F or r - |F|). The lengths were checked against `markets`.
    function _marketSection(uint256 p, uint256[] calldata prices, uint256[] calldata funding)
        internal
        pure
        returns (uint256)
    {
        bool badPrice;
        bool badFunding;
        assembly {
            let m := prices.length
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                let g := calldataload(add(prices.offset, shl(5, j)))
                badPrice := or(badPrice, gt(g, 0xffff))
                mstore(p, shl(240, g))
                p := add(p, 2)
            }
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                // offset funding index F + 2^47, as the message carries it: below 2^48
                let f := calldataload(add(funding.offset, shl(5, j)))
                badFunding := or(badFunding, gt(f, 0xffffffffffff))
                mstore(p, shl(208, f))
                p := add(p, 6)
            }
        }
        require(!badPrice, "Rollup: price not a ladder index");
        require(!badFunding, "Rollup: funding index out of range");
        return p;
    }

    function _withdrawalSection(uint256 p, Withdrawal[] calldata withdrawals) internal view {
        uint256 limit = accountLimit;
        unchecked {
            for (uint256 i = 0; i < withdrawals.length; i++) {
                uint256 id = withdrawals[i].accountId;
                uint256 amount = withdrawals[i].amount;
                require(id < limit && amount < AMOUNT_LIMIT, "Rollup: withdrawal out of range");
                assembly {
                    mstore(p, or(shl(224, id), shl(160, amount))) // accountId 4 | amount 8
                    p := add(p, 12)
                }
            }
        }
    }

    function _registrationSection(uint256 p, Counters memory c, uint256 to) internal view returns (uint256) {
        uint256 from = c.registrationConsumed;
        uint256 slots = registerSlots;
        require(from <= to && to <= c.registrationCount && to - from <= slots, "Rollup: registration range");
        unchecked {
            assembly {
                mstore(p, or(shl(224, from), shl(192, to)))
                p := add(p, 8)
            }
            assembly {
                for { let k := from } lt(k, to) { k := add(k, 1) } {
                    mstore(0, k)
                    mstore(32, _registrations.slot)
                    let e := keccak256(0, 64)
                    mstore(0, add(k, FIRST_L1_ACCOUNT))
                    mstore(32, accounts.slot)
                    let owner := and(sload(keccak256(0, 64)), 0xffffffffffffffffffffffffffffffffffffffff)
                    mstore(p, sload(e)) // pubkeyX
                    mstore(add(p, 32), sload(add(e, 1))) // pubkeyY
                    mstore(add(p, 64), shl(96, owner))
                    p := add(p, 84)
                }
            }
            return p + 84 * (slots - (to - from));
        }
    }

    /// A deposit or forced section: from, to, then (accountId 4, amount 8, flag 1) per slot;
    /// flag bit s belongs to slot s. Returns the pointer and, for deposits, the unflagged units.
    function _queueSection(
        uint256 p,
        mapping(uint256 => uint256) storage queue,
        uint256 from,
        uint256 count,
        uint256 to,
        uint256 slots,
        uint256 flags,
        bool sumUnflagged
    ) internal view returns (uint256, uint256 units) {
        require(from <= to && to <= count && to - from <= slots, "Rollup: queue range");
        require(flags >> (to - from) == 0, "Rollup: flag on an unused slot");
        unchecked {
            assembly {
                mstore(p, or(shl(224, from), shl(192, to)))
                p := add(p, 8)
            }
            assembly {
                let word := 0
                for { let k := from } lt(k, to) { k := add(k, 1) } {
                    if or(eq(k, from), iszero(and(k, 1))) {
                        mstore(0, shr(1, k))
                        mstore(32, queue.slot)
                        word := sload(keccak256(0, 64))
                    }
                    let e := shr(shl(7, and(k, 1)), word)
                    let flag := and(flags, 1)
                    flags := shr(1, flags)
                    if and(sumUnflagged, iszero(flag)) { units := add(units, and(e, 0xffffffffffffffff)) }
                    // the entry's low 96 bits are accountId 4 | amount 8; then the flag byte
                    mstore(p, or(shl(160, and(e, 0xffffffffffffffffffffffff)), shl(152, flag)))
                    p := add(p, 13)
                }
            }
            return (p + 13 * (slots - (to - from)), units);
        }
    }

    // ------------------------------------------------------------------ escape hatch

    /// @notice True when the oldest unconsumed entry of a queue is older than `deadlineBlocks`.
    function overdue() public view returns (bool) {
        Counters memory c = _loadCounters();
        uint256 limit = block.number;
        if (limit <= deadlineBlocks) return false;
        limit -= deadlineBlocks; // overdue: entry block < block.number - deadlineBlocks
        if (c.registrationConsumed < c.registrationCount
            && _registrations[c.registrationConsumed].blockNumber < limit) return true;
        if (c.depositConsumed < c.depositCount) {
            (,, uint256 b) = _entry(_deposits, c.depositConsumed);
            if (b < limit) return true;
        }
        if (c.forcedConsumed < c.forcedCount) {
            (,, uint256 b) = _entry(_forced, c.forcedConsumed);
            if (b < limit) return true;
        }
        return false;
    }

    /// @notice Anyone may freeze the contract once a queued entry is overdue. Frozen, no
    /// batch settles; owners exit with their equity at the last root.
    function freeze() external {
        require(!_q.frozen, "Rollup: frozen");
        require(overdue(), "Rollup: no overdue request");
        _q.frozen = true;
        emit Frozen(block.number);
    }

    /// @notice Frozen: credit `accountId`'s equity at the last settled root to its owner
    /// (`l1Address`, bound by the exit proof, must be the owner recorded at registration),
    /// once per account; at most the custody left. Anyone may submit it.
    function exit(uint256 accountId, address l1Address, uint256 equity, uint256[8] calldata proof)
        external
        nonReentrant
    {
        require(_q.frozen, "Rollup: not frozen");
        require(!exited[accountId], "Rollup: already exited");
        uint256 round = lastOracleRound;
        require(round != 0, "Rollup: no settled batch");
        require(l1Address != address(0) && accounts[accountId].owner == l1Address, "Rollup: not the account's owner");
        (uint256[] memory p, uint256[] memory f,) = oracle.getRound(round);
        uint256 m = markets;
        uint256[] memory x = new uint256[](4 + 2 * m);
        x[0] = stateRoot;
        for (uint256 j = 0; j < m; j++) {
            x[1 + j] = p[j];
            x[1 + m + j] = f[j];
        }
        x[1 + 2 * m] = accountId;
        x[2 + 2 * m] = uint256(uint160(l1Address));
        x[3 + 2 * m] = equity;
        require(_verify(exitVerifier, exitSelector, proof, abi.encodePacked(x)), "Rollup: invalid exit proof");

        exited[accountId] = true;
        uint256 held = custody;
        uint256 paid = equity < held ? equity : held;
        custody = uint128(held - paid);
        if (paid != 0) _credit(accountId, paid);
        emit Exited(accountId, l1Address, paid);
    }

    /// @notice Frozen: a deposit the state never consumed is credited back to the account's
    /// owner, once. Anyone may submit it.
    function refundDeposit(uint256 index) external nonReentrant {
        Counters memory c = _loadCounters();
        require(c.frozen, "Rollup: not frozen");
        require(index >= c.depositConsumed && index < c.depositCount, "Rollup: deposit was consumed");
        (uint256 id, uint256 amount,) = _entry(_deposits, index);
        require(amount != 0, "Rollup: already refunded");
        _deposits[index >> 1] &= ~(uint256(type(uint64).max) << ((index & 1) << 7)); // amount := 0
        _credit(id, amount);
        emit DepositRefunded(index, id, amount);
    }

    // ------------------------------------------------------------------ payments

    /// @notice Pay `accountId`'s credit to its owner in tokens (credit * unitScale). Anyone may
    /// call it; the tokens go to the owner. The credit is zeroed before the transfer.
    function claim(uint256 accountId) external nonReentrant {
        Account storage a = accounts[accountId];
        uint256 units = a.credit;
        require(units != 0, "Rollup: nothing to claim");
        a.credit = 0;
        collateral.safeTransfer(a.owner, units * unitScale);
    }

    /// @notice Send the sequencer its fees (wei).
    function claimFees() external nonReentrant {
        uint256 amount = feesOwed;
        require(amount != 0, "Rollup: nothing to claim");
        feesOwed = 0;
        (bool ok,) = payable(sequencer).call{value: amount}("");
        require(ok, "Rollup: transfer failed");
        emit FeesClaimed(sequencer, amount);
    }

    // ------------------------------------------------------------------ reads

    function batchNumber() external view returns (uint256) {
        return _q.batchNumber;
    }

    function frozen() external view returns (bool) {
        return _q.frozen;
    }

    /// @notice (count, consumed) of the registration, deposit and forced queues.
    function queues()
        external
        view
        returns (
            uint256 registrationCount,
            uint256 registrationConsumed,
            uint256 depositCount,
            uint256 depositConsumed,
            uint256 forcedCount,
            uint256 forcedConsumed
        )
    {
        Counters memory c = _loadCounters();
        return (c.registrationCount, c.registrationConsumed, c.depositCount, c.depositConsumed, c.forcedCount,
            c.forcedConsumed);
    }

    function accountOwner(uint256 accountId) external view returns (address) {
        return accounts[accountId].owner;
    }

    /// @notice Registration queue entry `index` (account id FIRST_L1_ACCOUNT + index).
    function registrationEntry(uint256 index)
        external
        view
        returns (uint256 pubkeyX, uint256 pubkeyY, address owner, uint256 blockNumber)
    {
        require(index < _q.registrationCount, "Rollup: no such entry");
        Registration storage e = _registrations[index];
        return (e.pubkeyX, e.pubkeyY, accounts[FIRST_L1_ACCOUNT + index].owner, e.blockNumber);
    }

    /// @notice Deposit queue entry `index` (amount in units; 0 once refunded).
    function depositEntry(uint256 index) external view returns (uint256 accountId, uint256 amount, uint256 blockNumber) {
        require(index < _q.depositCount, "Rollup: no such entry");
        return _entry(_deposits, index);
    }

    /// @notice Forced-withdrawal queue entry `index`.
    function forcedEntry(uint256 index) external view returns (uint256 accountId, uint256 amount, uint256 blockNumber) {
        require(index < _q.forcedCount, "Rollup: no such entry");
        return _entry(_forced, index);
    }

    // ------------------------------------------------------------------ verifier calls

    /// verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])
    bytes4 internal constant _BATCH_SELECTOR =
        bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])"));

    /// The verifier's input array is static in its ABI, so the calldata is selector ++ proof
    /// words ++ input words.
    function _verify(address verifier, bytes4 selector, uint256[8] calldata proof, bytes memory inputs)
        internal
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(selector, proof, inputs));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    /// verifyProof(proof, [digest]) on the batch verifier: selector ++ 8 proof words ++ digest.
    function _verifyBatch(uint256[8] calldata proof, uint256 digest) internal view returns (bool ok) {
        address verifier = batchVerifier;
        bytes4 selector = _BATCH_SELECTOR;
        assembly {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            calldatacopy(add(ptr, 4), proof, 256)
            mstore(add(ptr, 260), digest)
            let success := staticcall(gas(), verifier, ptr, 292, 0, 32)
            ok := and(and(success, eq(returndatasize(), 32)), eq(mload(0), 1))
        }
    }

    function _decimal(uint256 v) internal pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t > 0; t /= 10) len++;
        s = new bytes(len);
        for (; v > 0; v /= 10) s[--len] = bytes1(uint8(48 + v % 10));
    }
}

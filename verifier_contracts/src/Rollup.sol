// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "poseidon-solidity/PoseidonT4.sol";
import "poseidon-solidity/PoseidonT5.sol";
import "./Oracle.sol";

/// The rendered Groth16 verifiers (src/Groth16Verifier.sol.tmpl) expose their input count.
interface IGroth16Verifier {
    function N_PUBLIC() external view returns (uint256);
}

/// @title zkclear settlement contract
/// @notice Holds the state root of the off-chain exchange and moves it only with a valid
/// Groth16 proof of a batch submitted by the sequencer. Takes ETH deposits into a
/// Poseidon-hash-chained queue, pays withdrawals (pull pattern), and offers an escape
/// hatch: forced-withdrawal requests in a second queue, a deadline after which anyone may
/// freeze the contract, and, frozen, one exit per account proven against the last root.
///
/// Units. Collateral units on L2; 1 unit = `weiPerUnit` wei (a constructor parameter,
/// 1 gwei in verifier_contracts/rollup.py). A deposit of `msg.value` wei credits
/// `msg.value / weiPerUnit` units (the value must be a whole number of units); amounts
/// are < 2^63 units (the spec's AMOUNT_BITS), account ids < 2^32 (ACCOUNT_ID_BITS).
///
/// Hash chains (circomlib Poseidon, poseidon-solidity's PoseidonT4/T5 libraries, so the
/// circuit and sequencer/spec/hashing.py `hash_chain` recompute them):
///     deposits:  depositChain[0] = 0,  depositChain[k+1] = Poseidon(depositChain[k], accountId, amount, sender)
///     forced:    forcedChain[0]  = 0,  forcedChain[k+1]  = Poseidon(forcedChain[k],  accountId, amount, sender)
///     withdrawals of one batch:  h_0 = 0,  h_{i+1} = Poseidon(h_i, l1Address_i, amount_i)
/// (addresses enter as uint160 integers, amounts in collateral units).
///
/// Accounts are registered on L2 (a signed op of the batch); the contract keeps no
/// registry. A deposit names an account id; the circuit credits it if the leaf exists and
/// otherwise refunds `sender` through the withdrawals list. A forced request records its
/// `sender`; the circuit honours it only if `sender` is the leaf's L1 address (and the
/// account keeps its initial margin), paying through the withdrawals list; either way
/// the batch consumes it. An exit pays the `l1Address` the exit proof binds to the leaf.
///
/// Batch public inputs, the verifier's input array IN THIS ORDER (13 + 2M words, M markets;
/// verifier_contracts/rollup.py PUBLIC_INPUT_NAMES):
///     [oldRoot, newRoot, batchNumber, oracleRound,
///      prices[0..M-1], fundingIndices[0..M-1],
///      depositFrom, depositTo, depositChainFrom, depositChainTo,
///      withdrawalsHash,
///      forcedFrom, forcedTo, forcedChainFrom, forcedChainTo]
/// Exit public inputs (2M + 4 words; EXIT_PUBLIC_INPUT_NAMES):
///     [root, prices[0..M-1], fundingIndices[0..M-1], accountId, l1Address, equity]
/// where root, prices and funding indices are those of the last settled batch.
///
/// Privacy: events carry roots, queue positions and L1 payments only; never a trade, a
/// position or a balance.
contract Rollup {
    /// BN254 scalar field order r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// Account ids are < 2^32.
    uint256 public constant ACCOUNT_ID_LIMIT = 1 << 32;
    /// Deposit, withdrawal and forced amounts are < 2^63 collateral units.
    uint256 public constant AMOUNT_LIMIT = 1 << 63;

    struct Config {
        address sequencer; // the only address that submits batches
        address oracle; // Oracle contract (its `markets` fixes M)
        address batchVerifier; // Groth16 verifier with 13 + 2M public inputs
        address exitVerifier; // Groth16 verifier with 2M + 4 public inputs
        uint256 genesisRoot; // state root before batch 1
        uint256 deadlineBlocks; // a queued deposit or forced request is overdue after this many blocks
        uint256 weiPerUnit; // wei per collateral unit
        uint256 minDepositUnits; // smallest deposit, in units (>= 1; an anti-spam floor)
        uint256 forcedRequestFee; // wei paid with each forced request, credited to the sequencer
    }

    /// A batch's public inputs, fields in verifier order (prices and funding have M words).
    struct BatchPublic {
        uint256 oldRoot;
        uint256 newRoot;
        uint256 batchNumber;
        uint256 oracleRound;
        uint256[] prices;
        uint256[] fundingIndices;
        uint256 depositFrom;
        uint256 depositTo;
        uint256 depositChainFrom;
        uint256 depositChainTo;
        uint256 withdrawalsHash;
        uint256 forcedFrom;
        uint256 forcedTo;
        uint256 forcedChainFrom;
        uint256 forcedChainTo;
    }

    /// One payment of a batch: `amount` collateral units to `l1Address`.
    struct Withdrawal {
        address l1Address;
        uint256 amount;
    }

    /// A queued deposit or forced request (one storage slot).
    struct QueueEntry {
        address sender;
        uint32 blockNumber;
        uint64 amount;
    }

    address public immutable sequencer;
    Oracle public immutable oracle;
    address public immutable batchVerifier;
    address public immutable exitVerifier;
    uint256 public immutable markets;
    uint256 public immutable deadlineBlocks;
    uint256 public immutable weiPerUnit;
    uint256 public immutable minDepositUnits;
    uint256 public immutable forcedRequestFee;
    bytes4 internal immutable batchSelector;
    bytes4 internal immutable exitSelector;

    /// The state root after the last settled batch.
    uint256 public stateRoot;
    /// The number of the last settled batch (0: genesis).
    uint256 public batchNumber;
    /// The oracle round of the last settled batch (0: none yet).
    uint256 public lastOracleRound;

    uint256 public depositCount;
    /// Deposits [0, depositConsumed) are in the state.
    uint256 public depositConsumed;
    /// Chain value after k deposits (depositChain[0] = 0).
    mapping(uint256 => uint256) public depositChain;
    mapping(uint256 => QueueEntry) public deposits;

    uint256 public forcedCount;
    uint256 public forcedConsumed;
    mapping(uint256 => uint256) public forcedChain;
    mapping(uint256 => QueueEntry) public forcedRequests;

    /// Collateral units held for the L2 state: consumed deposits minus withdrawals and exits.
    /// Withdrawals and exits can never pay more (unconsumed deposits stay refundable).
    uint256 public custody;
    /// Wei that an address may `claim()`.
    mapping(address => uint256) public pendingWithdrawal;

    bool public frozen;
    mapping(uint256 => bool) public exited;
    mapping(uint256 => bool) public depositRefunded;

    event Deposited(uint256 indexed index, uint256 indexed accountId, uint256 amount, address sender, uint256 chain);
    event ForcedWithdrawalRequested(
        uint256 indexed index, uint256 indexed accountId, uint256 amount, address sender, uint256 chain
    );
    event BatchSubmitted(
        uint256 indexed batchNumber,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 oracleRound,
        uint256 depositTo,
        uint256 forcedTo,
        uint256 withdrawalsHash
    );
    event Frozen(uint256 blockNumber);
    event Exited(uint256 indexed accountId, address indexed l1Address, uint256 amount);
    event DepositRefunded(uint256 indexed index, address indexed sender, uint256 amount);
    event Claimed(address indexed to, uint256 amountWei);

    constructor(Config memory cfg) {
        require(cfg.sequencer != address(0), "Rollup: zero sequencer");
        require(cfg.weiPerUnit > 0 && cfg.minDepositUnits > 0, "Rollup: bad units");
        require(cfg.deadlineBlocks > 0, "Rollup: zero deadline");
        require(cfg.genesisRoot < R, "Rollup: genesis root not a field element");
        uint256 m = Oracle(cfg.oracle).markets();
        require(IGroth16Verifier(cfg.batchVerifier).N_PUBLIC() == 13 + 2 * m, "Rollup: batch verifier input count");
        require(IGroth16Verifier(cfg.exitVerifier).N_PUBLIC() == 4 + 2 * m, "Rollup: exit verifier input count");
        sequencer = cfg.sequencer;
        oracle = Oracle(cfg.oracle);
        batchVerifier = cfg.batchVerifier;
        exitVerifier = cfg.exitVerifier;
        markets = m;
        deadlineBlocks = cfg.deadlineBlocks;
        weiPerUnit = cfg.weiPerUnit;
        minDepositUnits = cfg.minDepositUnits;
        forcedRequestFee = cfg.forcedRequestFee;
        batchSelector = _verifySelector(13 + 2 * m);
        exitSelector = _verifySelector(4 + 2 * m);
        stateRoot = cfg.genesisRoot;
    }

    // ------------------------------------------------------------------ queues

    /// @notice Deposit `msg.value` wei for L2 account `accountId`. Returns the queue index.
    function deposit(uint256 accountId) external payable returns (uint256 index) {
        require(!frozen, "Rollup: frozen");
        require(accountId < ACCOUNT_ID_LIMIT, "Rollup: account id out of range");
        require(msg.value % weiPerUnit == 0, "Rollup: not a whole number of units");
        uint256 amount = msg.value / weiPerUnit;
        require(amount >= minDepositUnits, "Rollup: deposit below minimum");
        require(amount < AMOUNT_LIMIT, "Rollup: deposit too large");
        index = depositCount;
        uint256 chain = PoseidonT5.hash([depositChain[index], accountId, amount, uint256(uint160(msg.sender))]);
        depositChain[index + 1] = chain;
        deposits[index] = QueueEntry(msg.sender, uint32(block.number), uint64(amount));
        depositCount = index + 1;
        emit Deposited(index, accountId, amount, msg.sender, chain);
    }

    /// @notice Ask the sequencer to withdraw `amount` units of `accountId` to its L1
    /// address; must be consumed by a batch within `deadlineBlocks`, else `freeze()`.
    /// Honoured by the circuit only if `msg.sender` is the account's L1 address.
    function requestForcedWithdrawal(uint256 accountId, uint256 amount) external payable returns (uint256 index) {
        require(!frozen, "Rollup: frozen");
        require(accountId < ACCOUNT_ID_LIMIT, "Rollup: account id out of range");
        require(amount > 0 && amount < AMOUNT_LIMIT, "Rollup: amount out of range");
        require(msg.value == forcedRequestFee, "Rollup: wrong forced request fee");
        index = forcedCount;
        uint256 chain = PoseidonT5.hash([forcedChain[index], accountId, amount, uint256(uint160(msg.sender))]);
        forcedChain[index + 1] = chain;
        forcedRequests[index] = QueueEntry(msg.sender, uint32(block.number), uint64(amount));
        forcedCount = index + 1;
        if (msg.value > 0) pendingWithdrawal[sequencer] += msg.value;
        emit ForcedWithdrawalRequested(index, accountId, amount, msg.sender, chain);
    }

    // ------------------------------------------------------------------ batches

    /// @notice Settle a batch: checks its public inputs against this contract's state,
    /// the oracle round and the withdrawals list, verifies the proof, moves the root and
    /// credits the withdrawals. Sequencer only.
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y] (EVM G2 order,
    /// as `snarkjs zkey export soliditycalldata` prints it).
    function submitBatch(BatchPublic calldata pub, Withdrawal[] calldata withdrawals, uint256[8] calldata proof)
        external
    {
        require(msg.sender == sequencer, "Rollup: not the sequencer");
        require(!frozen, "Rollup: frozen");
        require(pub.oldRoot == stateRoot, "Rollup: old root mismatch");
        require(pub.batchNumber == batchNumber + 1, "Rollup: wrong batch number");
        _checkOracle(pub);
        uint256 depositUnits = _checkQueues(pub);
        require(hashWithdrawals(withdrawals) == pub.withdrawalsHash, "Rollup: withdrawals hash mismatch");
        require(_verify(batchVerifier, batchSelector, proof, batchPublicInputs(pub)), "Rollup: invalid proof");

        stateRoot = pub.newRoot;
        batchNumber = pub.batchNumber;
        lastOracleRound = pub.oracleRound;
        depositConsumed = pub.depositTo;
        forcedConsumed = pub.forcedTo;
        uint256 held = custody + depositUnits;
        for (uint256 i = 0; i < withdrawals.length; i++) {
            uint256 amount = withdrawals[i].amount;
            require(amount <= held, "Rollup: withdrawals exceed custody");
            held -= amount;
            pendingWithdrawal[withdrawals[i].l1Address] += amount * weiPerUnit;
        }
        custody = held;
        emit BatchSubmitted(
            pub.batchNumber, pub.oldRoot, pub.newRoot, pub.oracleRound, pub.depositTo, pub.forcedTo, pub.withdrawalsHash
        );
    }

    function _checkOracle(BatchPublic calldata pub) internal view {
        require(pub.prices.length == markets && pub.fundingIndices.length == markets, "Rollup: wrong number of markets");
        require(pub.oracleRound >= lastOracleRound, "Rollup: oracle round goes back");
        bytes32 h = oracle.roundHash(pub.oracleRound);
        require(h != bytes32(0), "Rollup: unknown oracle round");
        require(h == keccak256(abi.encode(pub.prices, pub.fundingIndices)), "Rollup: prices differ from the oracle round");
    }

    /// Checks both queue ranges and chain values; returns the units of the consumed deposits.
    function _checkQueues(BatchPublic calldata pub) internal view returns (uint256 units) {
        require(
            pub.depositFrom == depositConsumed && pub.depositFrom <= pub.depositTo && pub.depositTo <= depositCount,
            "Rollup: deposit range"
        );
        require(
            pub.depositChainFrom == depositChain[pub.depositFrom] && pub.depositChainTo == depositChain[pub.depositTo],
            "Rollup: deposit chain mismatch"
        );
        require(
            pub.forcedFrom == forcedConsumed && pub.forcedFrom <= pub.forcedTo && pub.forcedTo <= forcedCount,
            "Rollup: forced range"
        );
        require(
            pub.forcedChainFrom == forcedChain[pub.forcedFrom] && pub.forcedChainTo == forcedChain[pub.forcedTo],
            "Rollup: forced chain mismatch"
        );
        for (uint256 k = pub.depositFrom; k < pub.depositTo; k++) {
            units += deposits[k].amount;
        }
    }

    /// @notice The verifier's input array of a batch, in the documented order.
    function batchPublicInputs(BatchPublic calldata pub) public view returns (uint256[] memory x) {
        uint256 m = markets;
        require(pub.prices.length == m && pub.fundingIndices.length == m, "Rollup: wrong number of markets");
        x = new uint256[](13 + 2 * m);
        x[0] = pub.oldRoot;
        x[1] = pub.newRoot;
        x[2] = pub.batchNumber;
        x[3] = pub.oracleRound;
        for (uint256 j = 0; j < m; j++) {
            x[4 + j] = pub.prices[j];
            x[4 + m + j] = pub.fundingIndices[j];
        }
        uint256 k = 4 + 2 * m;
        x[k] = pub.depositFrom;
        x[k + 1] = pub.depositTo;
        x[k + 2] = pub.depositChainFrom;
        x[k + 3] = pub.depositChainTo;
        x[k + 4] = pub.withdrawalsHash;
        x[k + 5] = pub.forcedFrom;
        x[k + 6] = pub.forcedTo;
        x[k + 7] = pub.forcedChainFrom;
        x[k + 8] = pub.forcedChainTo;
    }

    /// @notice h_0 = 0, h_{i+1} = Poseidon(h_i, l1Address_i, amount_i).
    function hashWithdrawals(Withdrawal[] calldata withdrawals) public view returns (uint256 h) {
        for (uint256 i = 0; i < withdrawals.length; i++) {
            h = PoseidonT4.hash([h, uint256(uint160(withdrawals[i].l1Address)), withdrawals[i].amount]);
        }
    }

    // ------------------------------------------------------------------ escape hatch

    /// @notice True when the oldest unconsumed deposit or forced request is past its deadline.
    function overdue() public view returns (bool) {
        uint256 d = depositConsumed;
        if (d < depositCount && block.number > uint256(deposits[d].blockNumber) + deadlineBlocks) return true;
        uint256 f = forcedConsumed;
        return f < forcedCount && block.number > uint256(forcedRequests[f].blockNumber) + deadlineBlocks;
    }

    /// @notice Anyone may freeze the contract once a queued request is overdue. Frozen, no
    /// batch settles; owners exit with their equity at the last root.
    function freeze() external {
        require(!frozen, "Rollup: frozen");
        require(overdue(), "Rollup: no overdue request");
        frozen = true;
        emit Frozen(block.number);
    }

    /// @notice Frozen: pay `accountId`'s equity at the last settled root to `l1Address`
    /// (the leaf's L1 address, bound by the exit proof), once per account. Pays at most
    /// the custody left. Anyone may submit it; the money goes to `l1Address`.
    function exit(uint256 accountId, address l1Address, uint256 equity, uint256[8] calldata proof) external {
        require(frozen, "Rollup: not frozen");
        require(!exited[accountId], "Rollup: already exited");
        require(lastOracleRound != 0, "Rollup: no settled batch");
        (uint256[] memory p, uint256[] memory f,) = oracle.getRound(lastOracleRound);
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
        require(_verify(exitVerifier, exitSelector, proof, x), "Rollup: invalid exit proof");

        exited[accountId] = true;
        uint256 paid = equity < custody ? equity : custody;
        custody -= paid;
        pendingWithdrawal[l1Address] += paid * weiPerUnit;
        emit Exited(accountId, l1Address, paid);
    }

    /// @notice Frozen: a deposit the state never consumed goes back to its sender, once.
    function refundDeposit(uint256 index) external {
        require(frozen, "Rollup: not frozen");
        require(index >= depositConsumed && index < depositCount, "Rollup: deposit was consumed");
        require(!depositRefunded[index], "Rollup: already refunded");
        depositRefunded[index] = true;
        QueueEntry memory e = deposits[index];
        pendingWithdrawal[e.sender] += uint256(e.amount) * weiPerUnit;
        emit DepositRefunded(index, e.sender, e.amount);
    }

    // ------------------------------------------------------------------ payments

    /// @notice Send the caller everything credited to it (withdrawals, exits, refunds, fees).
    /// The credit is zeroed before the transfer, so re-entering pays nothing more.
    function claim() external {
        uint256 amount = pendingWithdrawal[msg.sender];
        require(amount > 0, "Rollup: nothing to claim");
        pendingWithdrawal[msg.sender] = 0;
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        require(ok, "Rollup: transfer failed");
        emit Claimed(msg.sender, amount);
    }

    // ------------------------------------------------------------------ verifier calls

    /// verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n]): the input array is
    /// static in the verifier's ABI, so its length is part of the selector and the
    /// calldata is just selector ++ proof words ++ input words.
    function _verify(address verifier, bytes4 selector, uint256[8] calldata proof, uint256[] memory inputs)
        internal
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(selector, proof, inputs));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _verifySelector(uint256 n) internal pure returns (bytes4) {
        return bytes4(
            keccak256(abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])"))
        );
    }

    function _decimal(uint256 v) internal pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t > 0; t /= 10) len++;
        s = new bytes(len);
        for (; v > 0; v /= 10) s[--len] = bytes1(uint8(48 + v % 10));
    }
}

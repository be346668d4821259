CREATE TABLE `broadcast_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`network` text NOT NULL,
	`chain_id` integer NOT NULL,
	`address` text NOT NULL,
	`next_nonce` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `broadcast_accounts_network_address` ON `broadcast_accounts` (`network`,`chain_id`,`address`);--> statement-breakpoint
CREATE TABLE `networks` (
	`name` text PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `prepared_transactions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`network` text NOT NULL,
	`chain_id` integer NOT NULL,
	`nonce` integer NOT NULL,
	`from_address` text NOT NULL,
	`to_address` text,
	`note` text NOT NULL,
	`external_id` text,
	`contract_name` text,
	`function_signature` text,
	`is_deployment` integer DEFAULT false NOT NULL,
	`contract_address` text,
	`receiver` text,
	`data` text NOT NULL,
	`value` text DEFAULT '0' NOT NULL,
	`gas_limit` text NOT NULL,
	`tx_type` integer NOT NULL,
	`gas_price` text,
	`max_fee_per_gas` text,
	`max_priority_fee_per_gas` text,
	`raw_transaction` text,
	`tx_hash` text,
	`status` text DEFAULT 'waiting' NOT NULL,
	`created_at` text NOT NULL,
	`signed_at` text,
	`broadcast_at` text,
	`result_fetched_at` text,
	`block_number` integer,
	`block_hash` text,
	`gas_used` text,
	`succeeded` integer,
	`revert_reason` text,
	`confirmations` integer,
	`source_name` text,
	`constructor_arguments` text,
	`compiler_input_id` text,
	`verified_at` text,
	`verification_info` text,
	FOREIGN KEY (`account_id`) REFERENCES `broadcast_accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `prepared_transactions_account_nonce` ON `prepared_transactions` (`account_id`,`nonce`);--> statement-breakpoint
CREATE INDEX `prepared_transactions_status` ON `prepared_transactions` (`status`);--> statement-breakpoint
CREATE INDEX `prepared_transactions_hash` ON `prepared_transactions` (`tx_hash`);--> statement-breakpoint
CREATE INDEX `prepared_transactions_external_id` ON `prepared_transactions` (`external_id`);--> statement-breakpoint
CREATE INDEX `prepared_transactions_contract_address` ON `prepared_transactions` (`contract_address`);--> statement-breakpoint
CREATE TABLE `transaction_signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`transaction_id` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`raw_transaction` text NOT NULL,
	`gas_price` text,
	`max_fee_per_gas` text,
	`max_priority_fee_per_gas` text,
	`signed_at` text NOT NULL,
	FOREIGN KEY (`transaction_id`) REFERENCES `prepared_transactions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transaction_signatures_hash` ON `transaction_signatures` (`tx_hash`);--> statement-breakpoint
CREATE INDEX `transaction_signatures_tx` ON `transaction_signatures` (`transaction_id`);
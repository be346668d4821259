CREATE TABLE `balance_changes` (
	`id` integer PRIMARY KEY NOT NULL,
	`token_id` integer NOT NULL,
	`holder_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`balance` text NOT NULL,
	`sign` integer NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`holder_id`) REFERENCES `token_holders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `balance_changes_holder_position` ON `balance_changes` (`holder_id`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `balance_changes_token_block` ON `balance_changes` (`token_id`,`block_number`);--> statement-breakpoint
CREATE TABLE `scan_blocks` (
	`token_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`timestamp` integer NOT NULL,
	PRIMARY KEY(`token_id`, `block_number`),
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `scan_blocks_time` ON `scan_blocks` (`token_id`,`timestamp`,`block_number`);--> statement-breakpoint
CREATE TABLE `scanned_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`network` text NOT NULL,
	`chain_id` integer NOT NULL,
	`address` text NOT NULL,
	`name` text,
	`symbol` text,
	`decimals` integer,
	`start_block` integer NOT NULL,
	`starts_at_creation` integer DEFAULT false NOT NULL,
	`scanned_to_block` integer NOT NULL,
	`total_supply` text,
	`total_supply_block` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scanned_tokens_chain_address` ON `scanned_tokens` (`chain_id`,`address`);--> statement-breakpoint
CREATE TABLE `token_holders` (
	`id` integer PRIMARY KEY NOT NULL,
	`token_id` integer NOT NULL,
	`address` text NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `token_holders_address` ON `token_holders` (`token_id`,`address`);--> statement-breakpoint
CREATE TABLE `token_transfers` (
	`id` integer PRIMARY KEY NOT NULL,
	`token_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`from_address` text NOT NULL,
	`to_address` text NOT NULL,
	`value` text NOT NULL,
	FOREIGN KEY (`token_id`) REFERENCES `scanned_tokens`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `token_transfers_position` ON `token_transfers` (`token_id`,`block_number`,`log_index`);